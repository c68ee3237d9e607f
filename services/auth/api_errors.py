"""How auth's outcomes become the platform's error bodies, and how routes document them.

Every route lists its error codes in its OpenAPI responses (``errors(...)``), so a client
author sees each machine-readable code next to its status.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from typing import Any

from pydantic import TypeAdapter

from services.auth.domain import (
    AccountNotFound,
    AddressUnproven,
    DeletionPending,
    IdentifierRetired,
    IdentifierTaken,
    InvalidCredentials,
    InvalidInput,
)
from services.auth.handlers import UsernameTaken
from services.auth.pictures import InvalidPicture, PictureTooLarge
from services.auth.policies import (
    CodeBurned,
    CodeExpired,
    CodesSpent,
    GuessesSpent,
    NoActiveCode,
    ResendCooldown,
    SignUpsSpent,
    TooManyAttempts,
    WrongCode,
)
from shared.http import ApiError, ErrorBody, ErrorMap, api_error_for

__all__ = ["ERRORS", "ERROR_STATUS", "as_api_errors", "errors"]

_NOUN = {"email": "e-mail address", "phone": "phone number"}
_INSTANT: TypeAdapter[datetime | None] = TypeAdapter(datetime | None)

# Every error code auth answers with, and its status.
ERROR_STATUS = {
    "validation_error": 422,
    "identifier_taken": 409,
    "identifier_retired": 409,
    "username_taken": 409,
    "account_not_found": 404,
    "invalid_credentials": 401,
    "unauthorized": 401,
    "invalid_token": 401,
    "session_revoked": 401,
    "deletion_pending": 423,
    "address_unverified": 403,
    "too_many_attempts": 429,
    "resend_cooldown": 429,
    "too_many_codes": 429,
    "too_many_sign_ups": 429,
    "invalid_code": 400,
    "code_expired": 410,
    "picture_not_found": 404,
    "invalid_picture": 422,
    "picture_too_large": 413,
    "unsupported_media_type": 415,
}
_BEARER = ("unauthorized", "invalid_token", "session_revoked")


def errors(*codes: str, bearer: bool = False) -> dict[int | str, dict[str, Any]]:
    """OpenAPI ``responses`` for ``codes`` (plus the bearer refusals), grouped by status."""
    by_status: dict[int, list[str]] = {}
    for code in (*codes, "validation_error", *(_BEARER if bearer else ())):
        by_status.setdefault(ERROR_STATUS[code], []).append(code)
    return {
        status: {"model": ErrorBody, "description": "error: " + " | ".join(names)}
        for status, names in sorted(by_status.items())
    }


def _retired(field: str) -> ApiError:
    noun = _NOUN[field]
    detail = (
        f"This {noun} belonged to an account that has been deleted. The {noun} of a deleted "
        f"account can never be used again; please use another."
    )
    return ApiError(409, "identifier_retired", detail, field=field)


def _wait(code: str, detail: str, seconds: int) -> ApiError:
    return ApiError(429, code, detail, retry_after=seconds, headers={"Retry-After": str(seconds)})


def _taken(exc: IdentifierTaken) -> ApiError:
    detail = f"An account with this {_NOUN[exc.field]} already exists."
    return ApiError(409, "identifier_taken", detail, field=exc.field)


def _pending(exc: DeletionPending) -> ApiError:
    deadline = _INSTANT.dump_python(exc.purge_deadline, mode="json")
    detail = "This account is scheduled for deletion and can no longer be signed in to."
    return ApiError(423, "deletion_pending", detail, purge_deadline=deadline)


# One flat table of outcomes: each domain error and the answer it gets, installed once per app
# (shared.http.map_errors) and also used by as_api_errors().
ERRORS: ErrorMap = {
    InvalidInput: lambda exc: ApiError(
        422, "validation_error", f"{exc.field}: {exc.detail}", field=exc.field
    ),
    IdentifierTaken: _taken,
    IdentifierRetired: lambda exc: _retired(exc.field),
    UsernameTaken: lambda _: ApiError(
        409, "username_taken", "Another account already has this username.", field="username"
    ),
    AccountNotFound: lambda _: ApiError(404, "account_not_found", "The account does not exist."),
    InvalidCredentials: lambda _: ApiError(
        401, "invalid_credentials", "The password is not correct."
    ),
    DeletionPending: _pending,
    AddressUnproven: lambda _: ApiError(
        403,
        "address_unverified",
        "The address is not confirmed yet: enter the code we sent to it.",
    ),
    TooManyAttempts: lambda exc: _wait(
        "too_many_attempts",
        "Too many failed attempts. Please wait before trying again.",
        exc.retry_after,
    ),
    GuessesSpent: lambda exc: _wait(
        "too_many_attempts",
        "Too many wrong codes today. Please wait before trying again.",
        exc.retry_after,
    ),
    CodesSpent: lambda exc: _wait(
        "too_many_codes",
        "No more codes can be sent for now. Please wait before asking again.",
        exc.retry_after,
    ),
    SignUpsSpent: lambda exc: _wait(
        "too_many_sign_ups",
        "Too many sign-ups from this network. Please wait before trying again.",
        exc.retry_after,
    ),
    ResendCooldown: lambda exc: _wait(
        "resend_cooldown",
        "A code was sent moments ago. Please wait before asking for another.",
        exc.retry_after,
    ),
    WrongCode: lambda exc: ApiError(
        400, "invalid_code", "The code is not right.", attempts_left=exc.attempts_left
    ),
    NoActiveCode: lambda _: ApiError(
        400,
        "invalid_code",
        "The code is not right, or no code is waiting. Ask for a new one.",
        attempts_left=0,
    ),
    CodeExpired: lambda _: ApiError(
        410, "code_expired", "The code has expired. Ask for a new one."
    ),
    CodeBurned: lambda _: ApiError(
        429,
        "too_many_attempts",
        "Too many wrong codes; this code no longer works. Ask for a new one.",
    ),
    PictureTooLarge: lambda _: ApiError(
        413, "picture_too_large", "The picture is too large (at most 5 MB and 4096 by 4096 pixels)."
    ),
    InvalidPicture: lambda _: ApiError(
        422,
        "invalid_picture",
        "This is not a PNG, JPEG or WebP picture of the type it claims to be.",
        field="body",
    ),
}


@contextmanager
def as_api_errors() -> Iterator[None]:
    """Translate the domain's outcomes into the platform's error bodies, here and now.

    The app answers them anyway (its handlers from :data:`ERRORS`); this is for code that must
    turn one into an ApiError before it leaves, such as a dependency's own check.
    """
    try:
        yield
    except tuple(ERRORS) as exc:
        answer = api_error_for(ERRORS, exc)
        raise (answer or exc) from None
