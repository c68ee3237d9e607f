"""Identifier canonicalization, the password policy and account states."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from services.auth.domain import (
    Account,
    DeletionPending,
    Identifier,
    InvalidInput,
    Registration,
    canonical_email,
    canonical_phone,
    check_password,
    ensure_may_sign_in,
    identifier_digest,
    parse_login,
    registration,
)

KEY = bytes(range(32))


@pytest.mark.parametrize(
    "typed",
    ["kari.nordmann@example.com", "  Kari.Nordmann@Example.COM\t", "KARI.NORDMANN@EXAMPLE.COM"],
)
def test_email_is_trimmed_and_lower_cased(typed: str) -> None:
    assert canonical_email(typed) == "kari.nordmann@example.com"


def test_email_keeps_plus_tags_and_subdomains() -> None:
    assert canonical_email("Kari+Shop@Mail.Example.co.uk") == "kari+shop@mail.example.co.uk"


@pytest.mark.parametrize(
    "typed",
    [
        "kari",
        "kari@",
        "@example.com",
        "kari@example",
        "kari@@example.com",
        "kari nordmann@example.com",
        "kari..nordmann@example.com",
        ".kari@example.com",
        "kari@-example.com",
        "kari@example..com",
        "kari@example.123",
        "k" * 250 + "@example.com",
        "",
    ],
)
def test_malformed_email_is_refused_naming_the_field(typed: str) -> None:
    with pytest.raises(InvalidInput) as caught:
        canonical_email(typed)
    assert caught.value.field == "email"


@pytest.mark.parametrize(
    "typed", ["+47 912 34 567", "91234567", "+4791234567", "912 34 567", "0047 912-34-567"]
)
def test_norwegian_phone_forms_are_one_e164_number(typed: str) -> None:
    assert canonical_phone(typed, "NO") == "+4791234567"


def test_phone_with_country_code_ignores_the_default_region() -> None:
    assert canonical_phone("+1 202 555 0143", "NO") == "+12025550143"
    assert canonical_phone("070-123 45 67", "SE") == "+46701234567"


@pytest.mark.parametrize("typed", ["12", "abc", "+47 123", "+999 1234 5678", ""])
def test_invalid_phone_is_refused_naming_the_field(typed: str) -> None:
    with pytest.raises(InvalidInput) as caught:
        canonical_phone(typed, "NO")
    assert caught.value.field == "phone"


def test_login_with_an_at_sign_is_an_email() -> None:
    assert parse_login(" Kari@Example.com ", "NO") == Identifier("email", "kari@example.com")


@pytest.mark.parametrize("typed", ["+47 912 34 567", "91234567", "+4791234567"])
def test_login_without_an_at_sign_is_a_phone(typed: str) -> None:
    assert parse_login(typed, "NO") == Identifier("phone", "+4791234567")


@pytest.mark.parametrize("typed", ["kari@", "hello there", "@"])
def test_unreadable_login_is_refused_naming_login(typed: str) -> None:
    with pytest.raises(InvalidInput) as caught:
        parse_login(typed, "NO")
    assert caught.value.field == "login"


@pytest.mark.parametrize("password", ["12345678", "x" * 128, "æøå " * 2])
def test_passwords_of_8_to_128_characters_are_accepted(password: str) -> None:
    check_password(password)


@pytest.mark.parametrize("password", ["", "1234567", "x" * 129])
def test_passwords_outside_8_to_128_characters_are_refused(password: str) -> None:
    with pytest.raises(InvalidInput) as caught:
        check_password(password)
    assert caught.value.field == "password"


def _register(**overrides: object) -> Registration:
    fields: dict[str, object] = {
        "email": "Kari@Example.com",
        "phone": "912 34 567",
        "password": "correct horse",
        "username": "  kari_n ",
        "language": "nb",
        "region": "NO",
    }
    fields.update(overrides)
    return registration(**fields)  # type: ignore[arg-type]


def test_registration_is_canonical() -> None:
    details = _register()
    assert details == registration(
        email="kari@example.com",
        phone="+4791234567",
        password="correct horse",
        username="kari_n",
        language="nb",
        region="NO",
    )
    assert [i.value for i in details.identifiers()] == ["kari@example.com", "+4791234567"]


def test_registration_needs_an_email_or_a_phone_and_blank_counts_as_none() -> None:
    assert _register(email="  ").identifiers() == (Identifier("phone", "+4791234567"),)
    assert _register(phone="").identifiers() == (Identifier("email", "kari@example.com"),)
    with pytest.raises(InvalidInput) as caught:
        _register(email="", phone=None)
    assert caught.value.field == "email"


@pytest.mark.parametrize(
    ("override", "field"),
    [
        ({"email": "kari@"}, "email"),
        ({"phone": "12"}, "phone"),
        ({"password": "short"}, "password"),
        ({"username": "x" * 65}, "username"),
        ({"username": "kari\x00"}, "username"),
    ],
)
def test_registration_names_the_first_bad_field(override: dict[str, object], field: str) -> None:
    with pytest.raises(InvalidInput) as caught:
        _register(**override)
    assert caught.value.field == field


def _account(**overrides: object) -> Account:
    fields: dict[str, object] = {
        "account_id": "a-1",
        "email": "kari@example.com",
        "phone": None,
        "password_hash": "h",
        "username": None,
        "language": "nb",
        "status": "active",
        "purge_deadline": None,
    }
    fields.update(overrides)
    return Account(**fields)  # type: ignore[arg-type]


def test_active_account_may_sign_in() -> None:
    ensure_may_sign_in(_account())


def test_account_pending_deletion_may_not_sign_in_and_says_until_when() -> None:
    deadline = datetime(2026, 2, 1, tzinfo=UTC)
    with pytest.raises(DeletionPending) as caught:
        ensure_may_sign_in(_account(status="deletion_pending", purge_deadline=deadline))
    assert caught.value.purge_deadline == deadline


def test_identifier_digest_is_keyed_and_hides_the_identifier() -> None:
    email = Identifier("email", "kari@example.com")
    digest = identifier_digest(KEY, email)
    assert digest == identifier_digest(KEY, parse_login("KARI@example.com", "NO"))
    assert digest != identifier_digest(bytes(32), email)
    assert digest != identifier_digest(KEY, Identifier("email", "kari2@example.com"))
    assert "kari" not in digest
    assert len(digest) == 64
