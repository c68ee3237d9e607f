"""The file-sink SMS gateway: one complete file per message."""

from __future__ import annotations

from pathlib import Path

import pytest

from services.notifier.domain import PermanentFailure, TransientFailure
from services.notifier.sms import FileSmsGateway


def _names(directory: Path) -> list[str]:
    return sorted(path.name for path in directory.iterdir())


def _read(path: Path) -> str:
    return path.read_text(encoding="utf-8")


async def test_writes_one_file_with_recipient_blank_line_and_text(tmp_path: Path) -> None:
    gateway = FileSmsGateway(tmp_path / "sms")
    await gateway.send_sms("+4791234567", "Koden din er 123456. Gyldig i 10 minutter.", "k1")
    assert _names(tmp_path / "sms") == ["k1.txt"]
    assert _read(tmp_path / "sms" / "k1.txt") == (
        "To: +4791234567\n\nKoden din er 123456. Gyldig i 10 minutter.\n"
    )


async def test_each_message_gets_its_own_file_and_a_repeat_replaces_it(tmp_path: Path) -> None:
    gateway = FileSmsGateway(tmp_path)
    await gateway.send_sms("+4791234567", "first", "a")
    await gateway.send_sms("+4791234567", "second", "b")
    await gateway.send_sms("+4791234567", "first again", "a")
    assert _names(tmp_path) == ["a.txt", "b.txt"]
    assert _read(tmp_path / "a.txt").endswith("first again\n")


@pytest.mark.parametrize("number", ["91234567", "+47 912 34 567", "+4791234567\nTo: +1", "+0123"])
async def test_refuses_numbers_not_in_e164_form(tmp_path: Path, number: str) -> None:
    with pytest.raises(PermanentFailure):
        await FileSmsGateway(tmp_path).send_sms(number, "text", "k")
    assert _names(tmp_path) == []


async def test_an_unwritable_directory_is_a_transient_failure(tmp_path: Path) -> None:
    blocker = tmp_path / "not-a-directory"
    blocker.write_text("x")
    with pytest.raises(TransientFailure):
        await FileSmsGateway(blocker / "sms").send_sms("+4791234567", "text", "k")
