"""The secrets file `make run` keeps under var/: created once, kept, completed on upgrade."""

from __future__ import annotations

import stat
from pathlib import Path

from devstack.secrets import load_or_create, new_secrets, write_env_file
from devstack.services import SERVICES, own_secrets_only
from shared.tokens import public_key_for


def test_a_new_file_is_private_and_a_second_start_reuses_it(tmp_path: Path) -> None:
    path = tmp_path / "secrets.env"
    first = load_or_create(path)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert load_or_create(path) == first
    assert public_key_for(first["AUTH_TOKEN_SIGNING_KEY"]) == first["ADIEU_TOKEN_PUBLIC_KEY"]


def test_a_file_from_an_older_version_keeps_its_secrets_and_gains_the_new_ones(
    tmp_path: Path,
) -> None:
    path = tmp_path / "secrets.env"
    complete = load_or_create(path)
    older = {key: value for key, value in complete.items() if key != "DELETION_HMAC_KEY"}
    write_env_file(path, older, replace=True)
    upgraded = load_or_create(path)
    assert {key: upgraded[key] for key in older} == older
    assert upgraded["DELETION_HMAC_KEY"]
    assert set(upgraded) == set(complete)


def test_a_half_token_key_pair_is_replaced_whole(tmp_path: Path) -> None:
    path = tmp_path / "secrets.env"
    complete = load_or_create(path)
    older = {key: value for key, value in complete.items() if key != "ADIEU_TOKEN_PUBLIC_KEY"}
    write_env_file(path, older, replace=True)
    upgraded = load_or_create(path)
    assert upgraded["AUTH_TOKEN_SIGNING_KEY"] != complete["AUTH_TOKEN_SIGNING_KEY"]
    assert public_key_for(upgraded["AUTH_TOKEN_SIGNING_KEY"]) == upgraded["ADIEU_TOKEN_PUBLIC_KEY"]
    assert upgraded["DELETION_HMAC_KEY"] == complete["DELETION_HMAC_KEY"]


def test_a_secret_two_services_share_reaches_only_those_two() -> None:
    secrets = new_secrets()
    reached = {
        spec.name
        for spec in SERVICES
        if "ADIEU_REDACTION_KEY" in own_secrets_only(spec, {**secrets, "ADIEU_LOG_FORMAT": "text"})
    }
    assert reached == {"auth", "survey"}
    edge = {spec.name for spec in SERVICES if "ADIEU_EDGE_KEY" in own_secrets_only(spec, secrets)}
    assert edge == {"auth", "web"}
    everyone = [own_secrets_only(spec, secrets) for spec in SERVICES]
    assert all("ADIEU_TOKEN_PUBLIC_KEY" in env for env in everyone)
