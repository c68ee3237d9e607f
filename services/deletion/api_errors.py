"""How deletion's domain outcomes become the platform's error bodies, once for the service.

Routes let domain errors propagate; :func:`shared.http.map_errors` answers each with the
ApiError below. A route only catches what needs an answer of its own (none do today).
"""

from __future__ import annotations

from services.deletion import export_handlers as exports
from services.deletion import handlers
from services.deletion.code_rules import (
    CodeExpired,
    CodeRejected,
    CodeUndelivered,
    ResendCooldown,
    ResendRefused,
    WrongCode,
)
from services.deletion.domain import InvalidState, ReauthenticationRequired
from services.deletion.purge import ParticipantNotFound
from shared.http import ApiError, ErrorMap
from shared.rolling_limits import LimitReached

__all__ = ["ERRORS", "not_found"]


def not_found(_: Exception | None = None) -> ApiError:
    """404 ``request_not_found``: no such request, or someone else's (the same answer)."""
    return ApiError(404, "request_not_found", "No such deletion request.")


def _invalid_state(exc: InvalidState) -> ApiError:
    return ApiError(
        409,
        "invalid_state",
        f"This is not possible while the request is {exc.current.value}.",
        current_status=exc.current.value,
    )


def _request_exists(exc: handlers.RequestExists) -> ApiError:
    return ApiError(
        409,
        "request_exists",
        "This account already has a deletion request in progress.",
        request_id=exc.request_id,
    )


def _code_refused(exc: CodeRejected) -> ApiError:
    if isinstance(exc, WrongCode):
        detail = "The code is not right."
        return ApiError(400, "invalid_code", detail, attempts_left=exc.attempts_left)
    if isinstance(exc, CodeExpired):
        return ApiError(410, "code_expired", "The code has expired.")
    if isinstance(exc, CodeUndelivered):
        detail = "The code could not be delivered. Ask for a new one, perhaps by the other channel."
        return ApiError(409, "code_not_delivered", detail)
    return ApiError(429, "too_many_attempts", "Too many wrong codes; this code no longer works.")


def _resend_refused(exc: ResendRefused) -> ApiError:
    if isinstance(exc, ResendCooldown):
        return ApiError(
            429,
            "resend_cooldown",
            "A new code was sent a moment ago; wait before asking again.",
            retry_after=exc.retry_after,
            headers={"Retry-After": str(exc.retry_after)},
        )
    return ApiError(429, "too_many_codes", "No more codes can be sent for this request.")


def _daily_limit(exc: LimitReached) -> ApiError:
    """429 with Retry-After: the account used its wrong codes or its new codes for now."""
    if exc.kind.endswith("new_code"):
        code, detail = "too_many_codes", "No more codes can be sent for now; try again later."
    else:
        code, detail = "too_many_attempts", "Too many wrong codes; try again later."
    headers = {"Retry-After": str(exc.retry_after)}
    return ApiError(429, code, detail, retry_after=exc.retry_after, headers=headers)


def _reauthenticate(exc: ReauthenticationRequired) -> ApiError:
    max_age = exc.max_age_seconds
    return ApiError(
        401,
        "reauthentication_required",
        "Enter your password again to delete the account.",
        max_age_seconds=max_age,
        # RFC 9470: the token is valid but its authentication is too old for this act.
        headers={
            "WWW-Authenticate": (
                f'Bearer error="insufficient_user_authentication", max_age={max_age}'
            )
        },
    )


def _participant_not_found(_: ParticipantNotFound) -> ApiError:
    return ApiError(404, "participant_not_found", "The purge did not ask this participant.")


def _export_in_progress(exc: exports.ExportInProgress) -> ApiError:
    return ApiError(
        409,
        "export_in_progress",
        "An export of this account is already being prepared.",
        export_id=exc.export_id,
    )


def _export_not_found(_: exports.ExportNotFound) -> ApiError:
    return ApiError(404, "export_not_found", "No such export.")


def _export_not_ready(_: exports.ExportNotReady) -> ApiError:
    return ApiError(409, "export_not_ready", "The export is still being prepared.")


def _export_expired(_: exports.ExportExpired) -> ApiError:
    return ApiError(410, "export_expired", "The export can no longer be downloaded.")


ERRORS: ErrorMap = {
    handlers.RequestNotFound: not_found,
    handlers.RequestExists: _request_exists,
    InvalidState: _invalid_state,
    CodeRejected: _code_refused,
    ResendRefused: _resend_refused,
    ReauthenticationRequired: _reauthenticate,
    LimitReached: _daily_limit,
    ParticipantNotFound: _participant_not_found,
    exports.ExportInProgress: _export_in_progress,
    exports.ExportNotFound: _export_not_found,
    exports.ExportNotReady: _export_not_ready,
    exports.ExportExpired: _export_expired,
}
