"""Accounts' rules: canonical identifiers, the password policy, account states; no I/O.

An identifier is an e-mail address or a phone number, always compared in canonical form:
e-mail trimmed and lower-cased, phone in E.164. Canonical forms are what the account table's
lookup digests and the retired-identifier digests are computed from, so every typed variant of
one address meets the same row and the same digest.
"""

from __future__ import annotations

import dataclasses
import re
import zoneinfo
from dataclasses import dataclass
from datetime import datetime
from functools import cache
from typing import Literal

import phonenumbers

from shared.crypto import keyed_hash

__all__ = [
    "EMAIL_MAX_LENGTH",
    "PASSWORD_MAX_LENGTH",
    "PASSWORD_MIN_LENGTH",
    "USERNAME_MAX_LENGTH",
    "Account",
    "AccountNotFound",
    "AccountStatus",
    "AddressUnproven",
    "DeletionPending",
    "Identifier",
    "IdentifierKind",
    "IdentifierRetired",
    "IdentifierTaken",
    "InvalidCredentials",
    "InvalidInput",
    "Language",
    "Registration",
    "canonical_email",
    "canonical_phone",
    "check_password",
    "check_time_zone",
    "check_username",
    "ensure_may_sign_in",
    "identifier_digest",
    "parse_login",
    "registration",
]

AccountStatus = Literal["active", "deletion_pending"]
IdentifierKind = Literal["email", "phone"]
Language = Literal["nb", "en"]

PASSWORD_MIN_LENGTH = 8
PASSWORD_MAX_LENGTH = 128
EMAIL_MAX_LENGTH = 254
USERNAME_MAX_LENGTH = 64
USERNAME_MIN_LENGTH = 3
_DIGEST_PURPOSE = "identifier"

# Deliberately modest: the address is proven by the codes sent to it, not by a regex.
_LOCAL_PART = re.compile(r"[a-z0-9!#$%&'*+/=?^_`{|}~.-]{1,64}")
_DOMAIN_LABEL = re.compile(r"[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?")
# Letters (any script), digits, '_', '.', '-'; starting with a letter or digit.
_USERNAME = re.compile(r"[^\W_][\w.-]*")


class InvalidInput(Exception):
    """A value breaks a rule; ``field`` names which one (never the value)."""

    def __init__(self, field: str, detail: str) -> None:
        super().__init__(detail)
        self.field = field
        self.detail = detail


class IdentifierTaken(Exception):
    """Another account already uses this e-mail address or phone number."""

    def __init__(self, field: IdentifierKind) -> None:
        super().__init__(field)
        self.field = field


class IdentifierRetired(Exception):
    """The identifier belonged to a deleted account and may never be used again."""

    def __init__(self, field: IdentifierKind) -> None:
        super().__init__(field)
        self.field = field


class AccountNotFound(Exception):
    """No account has this identifier (or id)."""


class InvalidCredentials(Exception):
    """The password does not match."""


class AddressUnproven(Exception):
    """The account has not yet entered the code that proves its address (a new sign-up)."""


class DeletionPending(Exception):
    """The account is scheduled for deletion and can no longer sign in."""

    def __init__(self, purge_deadline: datetime | None) -> None:
        super().__init__("deletion pending")
        self.purge_deadline = purge_deadline


@dataclass(frozen=True)
class Identifier:
    """A canonical e-mail address or E.164 phone number."""

    kind: IdentifierKind
    value: str


@dataclass(frozen=True)
class Registration:
    """A valid request for a new account, identifiers canonical, password not yet hashed."""

    email: str | None
    phone: str | None
    # Kept out of repr so that logging a registration can never print the password.
    password: str = dataclasses.field(repr=False)
    username: str | None
    language: Language

    def identifiers(self) -> tuple[Identifier, ...]:
        """The identifiers this account will be known by."""
        return _identifiers(self.email, self.phone)


@dataclass(frozen=True)
class Account:
    """An account as stored."""

    account_id: str
    email: str | None
    phone: str | None
    password_hash: str = dataclasses.field(repr=False)
    username: str | None
    language: Language
    status: AccountStatus
    purge_deadline: datetime | None

    def identifiers(self) -> tuple[Identifier, ...]:
        """The identifiers this account is known by."""
        return _identifiers(self.email, self.phone)


def _identifiers(email: str | None, phone: str | None) -> tuple[Identifier, ...]:
    found: list[Identifier] = []
    if email is not None:
        found.append(Identifier("email", email))
    if phone is not None:
        found.append(Identifier("phone", phone))
    return tuple(found)


def canonical_email(text: str, field: str = "email") -> str:
    """Trim, lower-case and syntax-check an e-mail address."""
    value = text.strip().lower()
    local, at, domain = value.rpartition("@")
    if not at or not local or not domain:
        raise InvalidInput(field, "an e-mail address looks like name@example.com")
    if len(value) > EMAIL_MAX_LENGTH:
        raise InvalidInput(field, f"an e-mail address has at most {EMAIL_MAX_LENGTH} characters")
    labels = domain.split(".")
    valid_local = _LOCAL_PART.fullmatch(local) and ".." not in local
    valid_local = valid_local and not local.startswith(".") and not local.endswith(".")
    valid_domain = len(labels) >= 2 and all(_DOMAIN_LABEL.fullmatch(label) for label in labels)
    if not (valid_local and valid_domain) or labels[-1].isdigit():
        raise InvalidInput(field, "this is not a valid e-mail address")
    return value


def canonical_phone(text: str, region: str, field: str = "phone", *, strict: bool = True) -> str:
    """A phone number in E.164; numbers without +country code are read as ``region``'s.

    ``strict`` also requires the number to exist in the numbering plan (used on registration);
    sign-in only needs the same canonical form to look the account up.
    """
    try:
        number = phonenumbers.parse(text.strip(), region)
    except phonenumbers.NumberParseException:
        raise InvalidInput(field, "this is not a phone number") from None
    if strict and not phonenumbers.is_valid_number(number):
        raise InvalidInput(field, "this is not a valid phone number")
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def parse_login(text: str, region: str) -> Identifier:
    """Read what a person typed to sign in: an e-mail address if it has an '@', else a phone."""
    if "@" in text:
        return Identifier("email", canonical_email(text, field="login"))
    return Identifier("phone", canonical_phone(text, region, field="login", strict=False))


def check_password(password: str, field: str = "password") -> None:
    """Raise :class:`InvalidInput` (naming ``field``) unless the password meets the policy."""
    if len(password) < PASSWORD_MIN_LENGTH:
        raise InvalidInput(field, f"use at least {PASSWORD_MIN_LENGTH} characters")
    if len(password) > PASSWORD_MAX_LENGTH:
        raise InvalidInput(field, f"use at most {PASSWORD_MAX_LENGTH} characters")


def registration(
    *,
    email: str | None,
    phone: str | None,
    password: str,
    username: str | None,
    language: Language,
    region: str,
) -> Registration:
    """Validate a sign-up; blank identifiers count as not given (forms send empty strings)."""
    email = email if email and email.strip() else None
    phone = phone if phone and phone.strip() else None
    if email is None and phone is None:
        raise InvalidInput("email", "give an e-mail address or a phone number")
    canonical_address = canonical_email(email) if email is not None else None
    canonical_number = canonical_phone(phone, region) if phone is not None else None
    check_password(password)
    return Registration(
        email=canonical_address,
        phone=canonical_number,
        password=password,
        username=check_username(username),
        language=language,
    )


def check_username(text: str | None) -> str | None:
    """A trimmed, valid username, or None when blank."""
    if text is None or not text.strip():
        return None
    name = text.strip()
    if len(name) > USERNAME_MAX_LENGTH:
        raise InvalidInput("username", f"use at most {USERNAME_MAX_LENGTH} characters")
    if len(name) < USERNAME_MIN_LENGTH:
        raise InvalidInput("username", f"use at least {USERNAME_MIN_LENGTH} characters")
    if not _USERNAME.fullmatch(name):
        raise InvalidInput(
            "username", "use letters, digits, '_', '.' or '-', starting with a letter or digit"
        )
    return name


@cache
def _zones() -> frozenset[str]:
    return frozenset(zoneinfo.available_timezones())


def check_time_zone(name: str) -> str:
    """An IANA time zone name known to this system (e.g. ``Europe/Oslo``)."""
    if name not in _zones():
        raise InvalidInput("time_zone", "use an IANA time zone name such as Europe/Oslo")
    return name


def ensure_may_sign_in(account: Account) -> None:
    """Raise :class:`DeletionPending` if the account is waiting to be purged."""
    if account.status == "deletion_pending":
        raise DeletionPending(account.purge_deadline)


def identifier_digest(key: bytes, identifier: Identifier) -> str:
    """The keyed digest by which a retired identifier is recognised without being kept."""
    return keyed_hash(key, _DIGEST_PURPOSE, identifier.value)
