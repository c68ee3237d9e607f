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
    NoActiveCode,
    ResendCooldown,
    TooManyAttempts,
    WrongCode,
)
from shared.http import ApiError, ErrorBody

__all__ = ["ERROR_STATUS", "as_api_errors", "errors"]

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
    "too_many_attempts": 429,
    "resend_cooldown": 429,
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


@contextmanager
def as_api_errors() -> Iterator[None]:  # one flat table of outcomes
    """Translate the domain's outcomes into the platform's error bodies."""
    try:
        yield
    except InvalidInput as exc:
        raise ApiError(
            422, "validation_error", f"{exc.field}: {exc.detail}", field=exc.field
        ) from None
    except IdentifierTaken as exc:
        detail = f"An account with this {_NOUN[exc.field]} already exists."
        raise ApiError(409, "identifier_taken", detail, field=exc.field) from None
    except IdentifierRetired as exc:
        raise _retired(exc.field) from None
    except UsernameTaken:
        detail = "Another account already has this username."
        raise ApiError(409, "username_taken", detail, field="username") from None
    except AccountNotFound:
        raise ApiError(404, "account_not_found", "The account does not exist.") from None
    except InvalidCredentials:
        raise ApiError(401, "invalid_credentials", "The password is not correct.") from None
    except DeletionPending as exc:
        deadline = _INSTANT.dump_python(exc.purge_deadline, mode="json")
        detail = "This account is scheduled for deletion and can no longer be signed in to."
        raise ApiError(423, "deletion_pending", detail, purge_deadline=deadline) from None
    except TooManyAttempts as exc:
        detail = "Too many failed attempts. Please wait before trying again."
        raise _wait("too_many_attempts", detail, exc.retry_after) from None
    except ResendCooldown as exc:
        detail = "A code was sent moments ago. Please wait before asking for another."
        raise _wait("resend_cooldown", detail, exc.retry_after) from None
    except WrongCode as exc:
        detail = "The code is not right."
        raise ApiError(400, "invalid_code", detail, attempts_left=exc.attempts_left) from None
    except NoActiveCode:
        detail = "The code is not right, or no code is waiting. Ask for a new one."
        raise ApiError(400, "invalid_code", detail, attempts_left=0) from None
    except CodeExpired:
        raise ApiError(410, "code_expired", "The code has expired. Ask for a new one.") from None
    except CodeBurned:
        detail = "Too many wrong codes; this code no longer works. Ask for a new one."
        raise ApiError(429, "too_many_attempts", detail) from None
    except PictureTooLarge:
        detail = "The picture is too large (at most 5 MB and 4096 by 4096 pixels)."
        raise ApiError(413, "picture_too_large", detail) from None
    except InvalidPicture:
        detail = "This is not a PNG, JPEG or WebP picture of the type it claims to be."
        raise ApiError(422, "invalid_picture", detail, field="body") from None
