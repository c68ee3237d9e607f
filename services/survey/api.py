"""The survey's HTTP routes: parse, authorise, call a handler, map errors.

No `from __future__ import annotations` here: FastAPI reads the route annotations at runtime.
"""

from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Query, Request
from pydantic import BaseModel, ConfigDict, Field

from services.survey import handlers
from services.survey.domain import (
    ASPECTS,
    COMMENT_MAX_LENGTH,
    PROBLEMS,
    QUESTIONNAIRE_VERSION,
    REASONS,
    Answers,
    InvalidAnswer,
    labels,
)
from services.survey.store import AlreadySubmitted
from shared.http import ApiError, correlation_id, error_responses
from shared.tokens import AccessClaims

__all__ = ["build_router"]


class Option(BaseModel):
    id: str
    label: str


class Questionnaire(BaseModel):
    version: int
    reasons: list[Option]
    problems: list[Option]
    aspects: list[Option]
    comment_max_length: int


class ResponseIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    request_id: str = Field(min_length=1, max_length=64)
    reasons: list[str] = Field(max_length=20)
    problems: list[str] = Field(default_factory=list, max_length=20)
    ratings: dict[str, int] = Field(default_factory=dict, max_length=20)
    other_reason: str | None = None
    other_problem: str | None = None
    comment: str | None = None


class ResponseAccepted(BaseModel):
    request_id: str
    status: Literal["submitted"] = "submitted"


def build_router(deps: handlers.Deps, claims: object) -> APIRouter:
    """The survey's routes; ``claims`` is the bearer-token dependency."""
    router = APIRouter()
    Claims = Annotated[AccessClaims, Depends(claims)]  # noqa: N806  # a type alias, named like one

    @router.get("/v1/survey", response_model=Questionnaire)
    async def get_survey(lang: Literal["nb", "en"] = Query("nb")) -> Questionnaire:
        """The exit questionnaire in one language."""
        return Questionnaire(
            version=QUESTIONNAIRE_VERSION,
            reasons=[Option(**item) for item in labels(REASONS, lang)],
            problems=[Option(**item) for item in labels(PROBLEMS, lang)],
            aspects=[Option(**item) for item in labels(ASPECTS, lang)],
            comment_max_length=COMMENT_MAX_LENGTH,
        )

    @router.post(
        "/v1/responses",
        status_code=201,
        response_model=ResponseAccepted,
        responses=error_responses(401, 409, 422),
    )
    async def post_response(body: ResponseIn, request: Request, who: Claims) -> ResponseAccepted:
        """Send the questionnaire for a deletion request; this leads to the code being sent."""
        answers = Answers(
            reasons=tuple(body.reasons),
            problems=tuple(body.problems),
            ratings=body.ratings,
            other_reason=body.other_reason,
            other_problem=body.other_problem,
            comment=body.comment,
        )
        try:
            await handlers.submit_response(
                deps,
                account_id=who.account_id,
                request_id=body.request_id,
                answers=answers,
                correlation_id=correlation_id(request),
            )
        except InvalidAnswer as exc:
            raise ApiError(
                422, "validation_error", f"{exc.field}: {exc.detail}", field=exc.field
            ) from None
        except AlreadySubmitted:
            raise ApiError(
                409, "already_submitted", "This deletion request already has its questionnaire."
            ) from None
        return ResponseAccepted(request_id=body.request_id)

    return router
