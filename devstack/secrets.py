"""The platform's secrets for local runs: made once, kept in ``var/secrets.env`` (mode 0600).

``python -m devstack.secrets DIR`` writes the same secrets as the env files the
docker-compose set-up reads (``platform.env`` and one ``<service>.env`` per service with secrets).
"""

from __future__ import annotations

import os
import secrets as random_tokens
import sys
from collections.abc import Callable, Mapping
from pathlib import Path

from shared.crypto import new_key
from shared.tokens import new_signing_key, public_key_for

__all__ = ["COMPOSE_FILES", "load_or_create", "new_secrets", "write_env_file"]

_FILE_MODE = 0o600
_LEGACY = "ADIEU_NOTIFICATION_KEY"


def new_secrets() -> dict[str, str]:
    """A fresh, matching set of every secret the platform needs."""
    signing_key = new_signing_key()
    deletion_admin, survey_admin = random_tokens.token_urlsafe(32), random_tokens.token_urlsafe(32)
    return {
        "AUTH_TOKEN_SIGNING_KEY": signing_key,
        "ADIEU_TOKEN_PUBLIC_KEY": public_key_for(signing_key),
        # Only the notifier reads addresses and codes; it wraps each account's key with this.
        "NOTIFIER_KEY_WRAPPING_KEY": new_key(),
        "AUTH_IDENTIFIER_HMAC_KEY": new_key(),
        "AUTH_IDENTIFIER_ENCRYPTION_KEY": new_key(),
        "DELETION_HMAC_KEY": new_key(),
        "DELETION_ADMIN_TOKEN": deletion_admin,
        "SURVEY_ADMIN_TOKEN": survey_admin,
        "WEB_SESSION_KEY": new_key(),
        # Shared by the web edge and auth only: the edge signs each person's client address.
        "ADIEU_EDGE_KEY": new_key(),
        # Shared by auth and the survey only: digests of identifier words for the comments.
        "ADIEU_REDACTION_KEY": new_key(),
        "WEB_ADMIN_TOKEN": random_tokens.token_urlsafe(24),
        # The web edge's operator page calls the two operator APIs with their own tokens.
        "WEB_DELETION_ADMIN_TOKEN": deletion_admin,
        "WEB_SURVEY_ADMIN_TOKEN": survey_admin,
    }


# Which service may see which secret: only auth signs tokens, only deletion hashes codes.
COMPOSE_FILES: Mapping[str, tuple[str, ...]] = {
    "platform.env": ("ADIEU_TOKEN_PUBLIC_KEY",),
    "auth.env": (
        "AUTH_TOKEN_SIGNING_KEY",
        "AUTH_IDENTIFIER_HMAC_KEY",
        "AUTH_IDENTIFIER_ENCRYPTION_KEY",
        "ADIEU_EDGE_KEY",
        "ADIEU_REDACTION_KEY",
    ),
    "deletion.env": ("DELETION_HMAC_KEY", "DELETION_ADMIN_TOKEN"),
    "survey.env": ("SURVEY_ADMIN_TOKEN", "ADIEU_REDACTION_KEY"),
    "notifier.env": ("NOTIFIER_KEY_WRAPPING_KEY",),
    "web.env": (
        "WEB_SESSION_KEY",
        "ADIEU_EDGE_KEY",
        "WEB_ADMIN_TOKEN",
        "WEB_DELETION_ADMIN_TOKEN",
        "WEB_SURVEY_ADMIN_TOKEN",
    ),
}


def load_or_create(path: Path, fresh: Callable[[], dict[str, str]] = new_secrets) -> dict[str, str]:
    """Read the secrets in ``path``; create the file first if it does not exist.

    A file written by an older version keeps every secret it has and gains the missing ones,
    so existing data stays readable; the token key pair is only ever replaced whole, since the
    public key must match the signing key.
    """
    generated = fresh()
    stored = _parse(path.read_text(encoding="utf-8")) if path.exists() else {}
    if _LEGACY in stored:
        # The one platform key of older versions: now the notifier's alone, and only to open
        # what was written before per-account keys (docs/crypto-shredding.md).
        stored.setdefault("NOTIFIER_LEGACY_NOTIFICATION_KEY", stored.pop(_LEGACY))
        write_env_file(path, stored, replace=True)
    if set(generated) <= set(stored):
        return stored
    pair = ("AUTH_TOKEN_SIGNING_KEY", "ADIEU_TOKEN_PUBLIC_KEY")
    if not all(key in stored for key in pair):
        stored = {key: value for key, value in stored.items() if key not in pair}
    secrets = {**generated, **stored}
    write_env_file(path, secrets, replace=True)
    return secrets


def write_env_file(path: Path, values: Mapping[str, str], *, replace: bool = False) -> None:
    """Write ``KEY=value`` lines readable only by the owner; refuse to overwrite unless told."""
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(path.name + ".tmp")
    temporary.unlink(missing_ok=True)
    # Created with 0600 from the start: the secret never sits in a world-readable file.
    fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, _FILE_MODE)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write("# Adieu secrets. Keep private; losing them invalidates tokens and data.\n")
        handle.writelines(f"{key}={value}\n" for key, value in values.items())
    if path.exists() and not replace:
        temporary.unlink()
        raise FileExistsError(f"{path} exists; remove it first if you mean to replace it")
    temporary.replace(path)


def _parse(text: str) -> dict[str, str]:
    values: dict[str, str] = {}
    for line in text.splitlines():
        line = line.strip()
        if line and not line.startswith("#") and "=" in line:
            key, value = line.split("=", 1)
            values[key.strip()] = value.strip()
    return values


def _write_compose_files(directory: Path) -> None:
    secrets = new_secrets()
    for name, keys in COMPOSE_FILES.items():
        write_env_file(directory / name, {key: secrets[key] for key in keys})
        print(f"wrote {directory / name}")


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit("usage: python -m devstack.secrets DIRECTORY")
    try:
        _write_compose_files(Path(sys.argv[1]))
    except FileExistsError as exc:
        sys.exit(str(exc))
