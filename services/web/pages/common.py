"""What every page module uses: the dependencies, sign-in guards and error placement."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import Depends, Request
from starlette.datastructures import FormData

from services.web.backend import Backend, Reply
from services.web.config import Settings
from services.web.render import Renderer, Texts, session_of
from services.web.security import checked_form
from services.web.session import Session
from shared.clock import Clock

__all__ = [
    "CheckedForm",
    "Deps",
    "NotSignedIn",
    "OperatorOnly",
    "field_errors",
    "operator",
    "person",
    "text_of",
]

CheckedForm = Annotated[FormData, Depends(checked_form)]


@dataclass
class Deps:
    """What the pages need: settings, the API clients and the renderer."""

    settings: Settings
    backend: Backend
    renderer: Renderer
    clock: Clock


class NotSignedIn(Exception):
    """A person's page was asked for without a session; they are sent to sign in."""


class OperatorOnly(Exception):
    """An operator page was asked for without an operator session."""


def person(request: Request) -> Session:
    """The signed-in person's session, else :class:`NotSignedIn`."""
    session = session_of(request)
    if not session.signed_in:
        raise NotSignedIn
    return session


def operator(request: Request) -> Session:
    """An operator's session, else :class:`OperatorOnly`."""
    session = session_of(request)
    if not session.operator:
        raise OperatorOnly
    return session


def text_of(form: FormData, name: str) -> str:
    """A text field of ``form``, trimmed; '' when absent or a file."""
    value = form.get(name)
    return value.strip() if isinstance(value, str) else ""


def field_errors(
    reply: Reply, texts: Texts, fallback: str, known: tuple[str, ...]
) -> dict[str, str]:
    """An API error as ``{form field: message}``, placed next to the field it concerns.

    A validation error names its field (``ratings.overall``, ``reasons.0``); the first part
    that is a form field wins, else the message goes next to ``fallback``.
    """
    extra: dict[str, Any] = {k: v for k, v in reply.data.items() if k not in ("error", "detail")}
    code = reply.error
    if code == "too_many_attempts" and "retry_after" in extra:
        code = "too_many_attempts_wait"  # a throttle to wait out, not a code to ask anew
    message = texts.error(code, **extra)
    field = str(reply.data.get("field", ""))
    candidates = [field, field.split(".")[0]]
    target = next((name for name in candidates if name in known), fallback)
    return {target: message}
