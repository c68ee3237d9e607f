"""The ``adieu`` CLI without a platform: arguments, settings, exit codes, receipt checking."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from adieu_cli.__main__ import main
from adieu_cli.config import CliSettings
from adieu_cli.dlq import resolve_topic
from services.deletion.receipts import ReceiptSigner
from shared.crypto import encode_key


def test_topics_may_be_named_with_or_without_prefix_or_dlq_suffix() -> None:
    assert resolve_topic("deletion.events", "adieu.") == "adieu.deletion.events"
    assert resolve_topic("adieu.deletion.events", "adieu.") == "adieu.deletion.events"
    assert resolve_topic("deletion.events.dlq", "adieu.") == "adieu.deletion.events"


def test_a_service_token_beats_the_shared_one(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ADIEU_ADMIN_TOKEN", "shared-token")
    monkeypatch.setenv("ADIEU_SURVEY_ADMIN_TOKEN", "survey-token")
    settings = CliSettings()
    assert settings.token_for("survey") == "survey-token"
    assert settings.token_for("deletion") == "shared-token"


def test_usage_errors_exit_2(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exited:
        main(["no-such-command"])
    assert exited.value.code == 2
    with pytest.raises(SystemExit) as exited:
        main(["status"])
    assert exited.value.code == 2


def test_no_token_is_a_usage_error_and_no_service_is_unreachable(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    for name in ("ADIEU_ADMIN_TOKEN", "ADIEU_DELETION_ADMIN_TOKEN"):
        monkeypatch.delenv(name, raising=False)
    assert main(["status", "r-1"]) == 2
    assert "ADIEU_DELETION_ADMIN_TOKEN" in capsys.readouterr().err
    assert main(["status", "r-1", "--token", "t", "--deletion-url", "http://127.0.0.1:1"]) == 3


def test_verify_receipt_with_a_given_key(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    signer = ReceiptSigner(encode_key(Ed25519PrivateKey.generate().private_bytes_raw()))
    receipt = {"request_id": "r-1", "purged_at": "2026-01-01T00:00:00+00:00"}
    document, signature = signer.sign(receipt)
    path = tmp_path / "receipt.json"
    path.write_text(json.dumps({"receipt": json.loads(document), "signature": signature}))
    # The "=" form: a URL-safe base64 key may start with "-", which argparse would take
    # for an option (1 key in 64).
    key = [f"--public-key={signer.public_key}", "--json"]
    assert main(["verify-receipt", str(path), *key]) == 0
    assert json.loads(capsys.readouterr().out)["valid"] is True
    path.write_text(
        json.dumps({"receipt": {**receipt, "request_id": "r-2"}, "signature": signature})
    )
    assert main(["verify-receipt", str(path), *key]) == 1
    assert main(["verify-receipt", str(tmp_path / "missing.json"), *key]) == 2
