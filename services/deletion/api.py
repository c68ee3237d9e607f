"""Deletion's HTTP routes: parse, authorise, call a handler, map errors.

No `from __future__ import annotations` here: FastAPI reads the route annotations at runtime.
"""

from datetime import datetime
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Path, Query, Request
from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StrictBool

from services.deletion import handlers
from services.deletion.consequences import consequences
from services.deletion.domain import (
    CodeExpired,
    CodeRejected,
    DeletionRequest,
    InvalidState,
    Progress,
    ReauthenticationRequired,
    WrongCode,
)
from shared.events import Channel
from shared.http import ApiError, correlation_id, error_responses
from shared.tokens import AccessClaims

__all__ = ["build_router"]


def _ticked(value: bool) -> bool:
    if value is not True:
        raise ValueError("must be true: the box has to be ticked")
    return value


# StrictBool: 1 or "true" are not a ticked box; only JSON true is.
Ticked = Annotated[StrictBool, AfterValidator(_ticked), Field(json_schema_extra={"const": True})]
RequestId = Annotated[str, Path(min_length=1, max_length=64)]


class LostItem(BaseModel):
    id: str
    text: str


class ConsequencesOut(BaseModel):
    lang: Literal["nb", "en"]
    title: str
    intro: str
    lost: list[LostItem]
    identifiers: str
    alternative: str


class DeletionRequestIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    understood_consequences: Ticked
    accepted_terms: Ticked
    channel: Channel = Field(description="Where the confirmation code is sent")


class RequestCreated(BaseModel):
    request_id: str
    status: str


class RequestView(BaseModel):
    request_id: str
    status: str
    purge_deadline: datetime | None = None
    participants: dict[str, Progress] | None = None


class CodeIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    code: str = Field(min_length=1, max_length=32)


class Scheduled(BaseModel):
    status: Literal["scheduled"] = "scheduled"
    purge_deadline: datetime


def build_router(deps: handlers.Deps, claims: object, shop_name: str) -> APIRouter:
    """Deletion's routes; ``claims`` is the bearer-token dependency."""
    router = APIRouter()
    Claims = Annotated[AccessClaims, Depends(claims)]  # noqa: N806  # a type alias, named like one

    @router.get(
        "/v1/deletion/consequences",
        response_model=ConsequencesOut,
        responses=error_responses(422),
    )
    async def get_consequences(lang: Literal["nb", "en"] = Query("nb")) -> ConsequencesOut:
        """What deleting the account means, to show before the person decides."""
        text = consequences(lang, shop_name)
        return ConsequencesOut(
            lang=text.lang,
            title=text.title,
            intro=text.intro,
            lost=[LostItem(id=key, text=line) for key, line in text.lost],
            identifiers=text.identifiers,
            alternative=text.alternative,
        )

    @router.post(
        "/v1/deletion-requests",
        status_code=201,
        response_model=RequestCreated,
        responses=error_responses(401, 409, 422),
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
        return RequestCreated(request_id=created.request_id, status=created.status.value)

    @router.get(
        "/v1/deletion-requests/{request_id}",
        response_model=RequestView,
        response_model_exclude_none=True,
        responses=error_responses(401, 404, 422),
    )
    async def get_request(request_id: RequestId, who: Claims) -> RequestView:
        """The state of one's own deletion request, also after the purge."""
        try:
            found = await handlers.get_request(
                deps, account_id=who.account_id, request_id=request_id
            )
        except handlers.RequestNotFound:
            raise _not_found() from None
        return _view(found)

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
            raise _not_found() from None
        except (InvalidState, CodeRejected) as exc:
            raise _refused(exc) from None
        return Scheduled(purge_deadline=deadline)

    return router


def _view(request: DeletionRequest) -> RequestView:
    return RequestView(
        request_id=request.request_id,
        status=request.status.value,
        purge_deadline=request.purge_deadline,
        participants=request.progress() or None,
    )


def _refused(exc: InvalidState | CodeRejected) -> ApiError:
    """The answer to a code that was not accepted, or to a request not awaiting one."""
    if isinstance(exc, InvalidState):
        detail = "The request does not await a code."
        return ApiError(409, "invalid_state", detail, current_status=exc.current.value)
    if isinstance(exc, WrongCode):
        detail = "The code is not right."
        return ApiError(400, "invalid_code", detail, attempts_left=exc.attempts_left)
    if isinstance(exc, CodeExpired):
        return ApiError(410, "code_expired", "The code has expired.")
    return ApiError(429, "too_many_attempts", "Too many wrong codes; this code no longer works.")


def _not_found() -> ApiError:
    return ApiError(404, "request_not_found", "No such deletion request.")


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
