"""Calls to the operator HTTP APIs of the deletion and survey services."""

from __future__ import annotations

from typing import Any

import httpx

from adieu_cli.config import CliSettings
from adieu_cli.errors import CliError, Exit

__all__ = ["get_json", "receipt_public_key"]


def get_json(
    settings: CliSettings, service: str, path: str, params: dict[str, str] | None = None
) -> Any:
    """GET ``path`` on ``service`` with its operator token; the JSON body, or a CliError."""
    base = str(getattr(settings, f"{service}_url")).rstrip("/")
    token = settings.token_for(service)
    if token is None:
        raise CliError(
            Exit.USAGE,
            f"no operator token for {service}: set ADIEU_{service.upper()}_ADMIN_TOKEN"
            " (or ADIEU_ADMIN_TOKEN), or pass --token",
        )
    return _get(settings, f"{base}{path}", params, {"Authorization": f"Bearer {token}"})


def receipt_public_key(settings: CliSettings) -> str:
    """The deletion service's published receipt key."""
    base = settings.deletion_url.rstrip("/")
    body = _get(settings, f"{base}/v1/receipts/public-key", None, {})
    return str(body["public_key"])


def _get(
    settings: CliSettings, url: str, params: dict[str, str] | None, headers: dict[str, str]
) -> Any:
    try:
        answer = httpx.get(
            url, params=params, headers=headers, timeout=settings.http_timeout_seconds
        )
    except httpx.HTTPError as exc:
        raise CliError(Exit.UNREACHABLE, f"{url} did not answer: {type(exc).__name__}") from None
    if answer.status_code >= 500:
        raise CliError(Exit.UNREACHABLE, f"{url} answered {answer.status_code}")
    if answer.status_code >= 400:
        raise CliError(Exit.NOT_FOUND_OR_INVALID, _describe(answer))
    try:
        return answer.json()
    except ValueError:
        raise CliError(Exit.UNREACHABLE, f"{url} did not answer JSON") from None


def _describe(answer: httpx.Response) -> str:
    try:
        body = answer.json()
        return f"{body.get('error', answer.status_code)}: {body.get('detail', '')}".strip()
    except (ValueError, AttributeError):
        return f"HTTP {answer.status_code} from {answer.request.url}"
