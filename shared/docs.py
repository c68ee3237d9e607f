"""``python -m shared.docs [DIRECTORY]``: write the API documents into ``docs/``.

- ``docs/openapi/<service>.json``: each HTTP service's OpenAPI document, from FastAPI, with the
  service bootstrapped on throw-away settings (nothing connects, nothing is served);
- ``docs/asyncapi.json``: every topic and event (see :mod:`shared.asyncapi`);
- ``docs/configuration.md``: every setting, from the settings classes (see
  :mod:`shared.config_docs`).

``tests/unit/ops/test_documents.py`` regenerates them in memory and fails when a committed copy
differs, so a changed route or event cannot ship with a stale document.
"""

from __future__ import annotations

import importlib
import json
import os
import sys
import tempfile
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from shared.asyncapi import asyncapi_document
from shared.config_docs import configuration_markdown
from shared.crypto import new_key
from shared.tokens import new_signing_key, public_key_for

__all__ = ["SERVICES", "bootstrapped", "documents", "openapi_document", "render", "write"]

SERVICES = ("auth", "deletion", "survey", "notifier", "web")


def _throwaway_environment(data_dir: str) -> dict[str, str]:
    signing_key = new_signing_key()
    env = {
        "ADIEU_TOKEN_PUBLIC_KEY": public_key_for(signing_key),
        "NOTIFIER_KEY_WRAPPING_KEY": new_key(),
        "AUTH_TOKEN_SIGNING_KEY": signing_key,
        "AUTH_IDENTIFIER_HMAC_KEY": new_key(),
        "WEB_SESSION_KEY": new_key(),
    }
    # Any other required secret: a key-shaped value suits both keys and tokens.
    for service in SERVICES:
        env[f"{service.upper()}_DATA_DIR"] = data_dir
        for name in ("HMAC_KEY", "ADMIN_TOKEN"):
            env.setdefault(f"{service.upper()}_{name}", new_key())
    env["DELETION_RECEIPT_SIGNING_KEY"] = new_signing_key()
    return env


@contextmanager
def _environment(values: Mapping[str, str]) -> Iterator[None]:
    saved = {key: os.environ.get(key) for key in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


@contextmanager
def bootstrapped(service: str) -> Iterator[Any]:
    """``service`` bootstrapped on throw-away settings: nothing connects, nothing is served."""
    app_module = importlib.import_module(f"services.{service}.app")
    config = importlib.import_module(f"services.{service}.config")
    with tempfile.TemporaryDirectory() as data_dir, _environment(_throwaway_environment(data_dir)):
        yield app_module.bootstrap(config.Settings())


def openapi_document(service: str) -> dict[str, Any]:
    """The OpenAPI document of ``service``, from its real FastAPI app."""
    with bootstrapped(service) as built:
        api = getattr(built, "api", built)
        document: dict[str, Any] = api.openapi()
    return document


def render(document: Mapping[str, Any]) -> str:
    """The committed form of a document: stable key order, two-space indent, final newline."""
    return json.dumps(document, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def documents() -> dict[str, str]:
    """Every document, as relative path → text."""
    texts = {
        "asyncapi.json": render(asyncapi_document()),
        "configuration.md": configuration_markdown(),
    }
    for service in SERVICES:
        texts[f"openapi/{service}.json"] = render(openapi_document(service))
    return texts


def write(directory: Path) -> list[Path]:
    """Write every document under ``directory``; return the paths written."""
    written = []
    for relative, text in documents().items():
        path = directory / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
        written.append(path)
    return written


if __name__ == "__main__":
    target = Path(sys.argv[1]) if len(sys.argv) > 1 else Path("docs")
    for path in write(target):
        print(f"wrote {path}")
