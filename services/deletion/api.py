"""Deletion's HTTP routes for the person: parse, authorise, call a handler, map errors.

The request and response bodies are in :mod:`services.deletion.api_models`.

No `from __future__ import annotations` here: FastAPI reads the route annotations at runtime.
"""

import math
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Path, Query, Request

from services.deletion import handlers
from services.deletion.api_models import (
    Cancelled,
    CodeIn,
    ConsequencesOut,
    DeletionRequestIn,
    LostItem,
    RequestCreated,
    RequestView,
    ResendIn,
    Resent,
    Scheduled,
)
from services.deletion.code_rules import CodePolicy
from services.deletion.consequences import Operator
from services.deletion.domain import (
    CodeExpired,
    CodeRejected,
    CodeUndelivered,
    DeletionRequest,
    InvalidState,
    ReauthenticationRequired,
    ResendCooldown,
    ResendRefused,
    WrongCode,
)
from shared.http import ApiError, correlation_id, error_responses
from shared.rolling_limits import LimitReached
from shared.tokens import AccessClaims

__all__ = ["RequestId", "build_router", "invalid_state", "not_found"]


RequestId = Annotated[str, Path(min_length=1, max_length=64)]


def build_router(
    deps: handlers.Deps, claims: object, operator: Operator, owner_claims: object | None = None
) -> APIRouter:
    """The person's routes; ``claims`` is the bearer-token dependency.

    ``owner_claims`` (default ``claims``) guards only the status read, so a revoked session can
    still watch its request become purged.
    """
    router = APIRouter()
    Claims = Annotated[AccessClaims, Depends(claims)]  # noqa: N806  # a type alias, named like one
    Owner = Annotated[AccessClaims, Depends(owner_claims or claims)]  # noqa: N806

    @router.get(
        "/v1/deletion/consequences",
        response_model=ConsequencesOut,
        responses=error_responses(422),
    )
    async def get_consequences(lang: Literal["nb", "en"] = Query("nb")) -> ConsequencesOut:
        """What deleting the account means, to show before the person decides."""
        text = operator.render(lang)
        return ConsequencesOut(
            lang=text.lang,
            shop_name=text.shop_name,
            title=text.title,
            intro=text.intro,
            lost=[LostItem(id=key, text=line) for key, line in text.lost],
            linked_services=list(text.linked_services),
            identifiers=text.identifiers,
            alternative=text.alternative,
            notification_settings_url=text.notification_settings_url,
        )

    @router.post(
        "/v1/deletion-requests",
        status_code=201,
        response_model=RequestCreated,
        responses=error_responses(401, 409, 422, 429),
    )
    async def post_request(
        body: DeletionRequestIn, request: Request, who: Claims
    ) -> RequestCreated:
        """Ask for the account to be deleted; needs a recently re-entered password."""
        try:
            created = await handlers.request_deletion(
                deps,
                account_id=who.account_id,
                authenticated_at=who.authenticated_at,
                channel=body.channel,
                correlation_id=correlation_id(request),
            )
        except ReauthenticationRequired:
            raise _reauthenticate(deps.policy.reauth_max_age_seconds) from None
        except handlers.RequestExists as exc:
            raise ApiError(
                409,
                "request_exists",
                "This account already has a deletion request in progress.",
                request_id=exc.request_id,
            ) from None
        except LimitReached as exc:
            raise _daily_limit(exc) from None
        return RequestCreated(request_id=created.request_id, status=created.status.value)

    @router.get(
        "/v1/deletion-requests/{request_id}",
        response_model=RequestView,
        response_model_exclude_none=True,
        responses=error_responses(401, 404, 422),
    )
    async def get_request(request_id: RequestId, who: Owner) -> RequestView:
        """The state of one's own deletion request, also after the purge."""
        try:
            found = await handlers.get_request(
                deps, account_id=who.account_id, request_id=request_id
            )
        except handlers.RequestNotFound:
            raise not_found() from None
        return _view(found, deps.policy.code)

    @router.post(
        "/v1/deletion-requests/{request_id}/confirm",
        status_code=202,
        response_model=Scheduled,
        responses=error_responses(400, 401, 404, 409, 410, 422, 429),
    )
    async def confirm(request_id: RequestId, body: CodeIn, who: Claims) -> Scheduled:
        """Confirm the deletion with the code that was sent; the purge is then scheduled."""
        try:
            deadline = await handlers.confirm_code(
                deps, account_id=who.account_id, request_id=request_id, code=body.code
            )
        except handlers.RequestNotFound:
            raise not_found() from None
        except InvalidState as exc:
            raise invalid_state(exc, "The request does not await a code.") from None
        except CodeRejected as exc:
            raise _refused(exc) from None
        except LimitReached as exc:
            raise _daily_limit(exc) from None
        return Scheduled(purge_deadline=deadline)

    @router.post(
        "/v1/deletion-requests/{request_id}/resend-code",
        status_code=202,
        response_model=Resent,
        responses=error_responses(401, 404, 409, 422, 429),
    )
    async def resend(request_id: RequestId, who: Claims, body: ResendIn | None = None) -> Resent:
        """Send a new code, optionally by the other channel; the previous code stops working."""
        try:
            request = await handlers.resend_code(
                deps,
                account_id=who.account_id,
                request_id=request_id,
                channel=body.channel if body else None,
            )
        except handlers.RequestNotFound:
            raise not_found() from None
        except InvalidState as exc:
            raise invalid_state(exc, "The request does not await a code.") from None
        except ResendRefused as exc:
            raise _resend_refused(exc) from None
        except LimitReached as exc:
            raise _daily_limit(exc) from None
        return Resent(channel=request.channel)

    @router.post(
        "/v1/deletion-requests/{request_id}/cancel",
        response_model=Cancelled,
        responses=error_responses(401, 404, 409, 422),
    )
    async def cancel(request_id: RequestId, who: Claims) -> Cancelled:
        """Withdraw the request before it is scheduled; the account stays as it is."""
        try:
            await handlers.cancel_request(deps, account_id=who.account_id, request_id=request_id)
        except handlers.RequestNotFound:
            raise not_found() from None
        except InvalidState as exc:
            raise invalid_state(exc, "Only a request not yet scheduled can be cancelled.") from None
        return Cancelled()

    return router


def _view(request: DeletionRequest, code: CodePolicy) -> RequestView:
    lapses = request.status.value in ("awaiting_survey", "awaiting_code")
    issued = request.code_issued_at if request.status.value == "awaiting_code" else None
    return RequestView(
        code_expires_at=code.expires_at(issued) if issued is not None else None,
        code_valid_minutes=math.ceil(code.ttl_seconds / 60) if lapses else None,
        request_id=request.request_id,
        status=request.status.value,
        code_delivery_failed=request.code_delivery_failed,
        code_delayed=request.code_delayed,
        expires_at=request.expires_at if lapses else None,
        purge_deadline=request.purge_deadline,
        participants=request.progress() or None,
        held=True if request.paused_at is not None else None,
    )


def invalid_state(exc: InvalidState, detail: str) -> ApiError:
    """409 ``invalid_state`` naming the request's current status."""
    return ApiError(409, "invalid_state", detail, current_status=exc.current.value)


def not_found() -> ApiError:
    """404 ``request_not_found``: no such request, or someone else's."""
    return ApiError(404, "request_not_found", "No such deletion request.")


def _refused(exc: CodeRejected) -> ApiError:
    """The answer to a code that was not accepted."""
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


def _reauthenticate(max_age: int) -> ApiError:
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
