"""What every page module uses: its dependencies (taken with ``Depends``), the sign-in guards,
and how an API's error lands next to the field it concerns."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import Depends, Request
from starlette.datastructures import FormData

from services.web.backend import Backend, Reply
from services.web.config import Settings
from services.web.operator_sessions import OperatorSessions
from services.web.render import Renderer, Texts, session_of
from services.web.security import checked_form
from services.web.session import Session
from shared.client_address import ClientAddresses
from shared.clock import Clock

__all__ = [
    "Anyone",
    "Api",
    "CheckedForm",
    "ClientAddress",
    "Config",
    "Deps",
    "NotSignedIn",
    "OperatorOnly",
    "OperatorSession",
    "Operators",
    "Pages",
    "Person",
    "Time",
    "field_errors",
    "text_of",
]


@dataclass
class Deps:
    """What the pages need: settings, the API clients, the renderer and the clock."""

    settings: Settings
    backend: Backend
    renderer: Renderer
    clock: Clock
    # The person's own address (through the trusted proxies), for auth's throttle.
    addresses: ClientAddresses
    operators: OperatorSessions


class NotSignedIn(Exception):
    """A person's page was asked for without a session; they are sent to sign in."""


class OperatorOnly(Exception):
    """An operator page was asked for without an operator session."""


def _deps(request: Request) -> Deps:
    deps: Deps = request.app.state.deps
    return deps


def _person(request: Request) -> Session:
    session = session_of(request)
    if not session.signed_in:
        raise NotSignedIn
    return session


def _operator(request: Request) -> Session:
    session = session_of(request)
    if not session.operator:
        raise OperatorOnly
    # A copy of a signed-out operator's cookie still says operator=True: the server decides.
    if not _deps(request).operators.is_open(session.operator_id):
        session.sign_out()
        raise OperatorOnly
    return session


def _client(request: Request) -> str | None:
    return _deps(request).addresses.of(request)


def _operators(request: Request) -> OperatorSessions:
    return _deps(request).operators


def _renderer(request: Request) -> Renderer:
    return _deps(request).renderer


def _backend(request: Request) -> Backend:
    return _deps(request).backend


def _settings(request: Request) -> Settings:
    return _deps(request).settings


def _clock(request: Request) -> Clock:
    return _deps(request).clock


CheckedForm = Annotated[FormData, Depends(checked_form)]
Pages = Annotated[Renderer, Depends(_renderer)]
Api = Annotated[Backend, Depends(_backend)]
Config = Annotated[Settings, Depends(_settings)]
Time = Annotated[Clock, Depends(_clock)]
Anyone = Annotated[Session, Depends(session_of)]
Person = Annotated[Session, Depends(_person)]
OperatorSession = Annotated[Session, Depends(_operator)]
# The person's own address (through the trusted proxies), vouched for to auth's throttle.
ClientAddress = Annotated[str | None, Depends(_client)]
Operators = Annotated[OperatorSessions, Depends(_operators)]


def text_of(form: FormData, name: str) -> str:
    """A text field of ``form``, trimmed; '' when absent or a file."""
    value = form.get(name)
    return value.strip() if isinstance(value, str) else ""


# A validation error's field (and, where one field has two rules, its detail) → what to say.
_BY_FIELD = {
    "email": "email_invalid",
    "phone": "phone_invalid",
    "username": "username_invalid",
    "reasons": "reasons_required",
    "problems": "option_unknown",
    "other_reason": "other_text_needed",
    "other_problem": "other_text_needed",
    "comment": "comment_too_long",
    "ratings": "rating_range",
}


def _validation_key(field: str, detail: str) -> str:
    base = field.split(".")[0]
    if base in ("password", "new_password"):
        return "password_too_long" if "at most" in detail else "password_too_short"
    if base == "phone" and "one address" in detail:
        return "one_address"
    if base == "login":
        return "phone_invalid" if "phone" in detail else "email_invalid"
    if base in ("reasons", "problems") and "." in field:
        return "option_unknown"
    return _BY_FIELD.get(base, "validation_error")


def field_errors(
    reply: Reply, texts: Texts, fallback: str, known: tuple[str, ...]
) -> dict[str, str]:
    """An API error as ``{form field: message}``, placed next to the field it concerns.

    A validation error names its field (``ratings.overall``, ``reasons.0``); the first part
    that is a form field wins, else the message goes next to ``fallback``.
    """
    extra: dict[str, Any] = {k: v for k, v in reply.data.items() if k not in ("error", "detail")}
    code = reply.error
    field = str(reply.data.get("field", ""))
    if code == "too_many_attempts" and "retry_after" in extra:
        code = "too_many_attempts_wait"  # a throttle to wait out, not a code to ask anew
    if code == "validation_error":
        code = _validation_key(field, str(reply.data.get("detail", "")))
    message = texts.error(code, **extra)
    candidates = [field, field.split(".")[0]]
    target = next((name for name in candidates if name in known), fallback)
    return {target: message}
