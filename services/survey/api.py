"""The survey's HTTP routes: parse, authorise, call a handler, map errors.

No `from __future__ import annotations` here: FastAPI reads the route annotations at runtime.
"""

import re
from datetime import date
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Query, Request, Response
from fastapi.responses import HTMLResponse
from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, StrictInt

from services.survey import handlers
from services.survey.domain import Answers, InvalidAnswer
from services.survey.questionnaire import Lang, Section
from services.survey.report_csv import to_csv
from services.survey.report_page import content_security_policy, render_summary
from services.survey.reports import InvalidPeriod, Summary
from services.survey.store import AlreadySubmitted
from shared.http import (
    ApiError,
    ErrorMap,
    bearer_claims,
    correlation_id,
    error_responses,
    from_state,
    operator_only,
)
from shared.tokens import AccessClaims

__all__ = ["ERRORS", "report_router", "router"]

router = APIRouter()
# Mounted only when SURVEY_ADMIN_TOKEN is set; without it the report routes answer 404.
report_router = APIRouter(
    prefix="/v1/reports", tags=["reports"], dependencies=[Depends(operator_only)]
)

# When to send again an answer for a request survey has not heard of: deletion's event is
# usually seconds behind at worst.
RETRY_UNKNOWN_SECONDS = 5

SurveyDeps = Annotated[handlers.Deps, Depends(from_state("deps"))]
Claims = Annotated[AccessClaims, Depends(bearer_claims)]

ERRORS: ErrorMap = {
    InvalidAnswer: lambda exc: ApiError(
        422, "validation_error", f"{exc.field}: {exc.detail}", field=exc.field
    ),
    InvalidPeriod: lambda exc: ApiError(
        422, "validation_error", f"{exc.field}: {exc.detail}", field=exc.field
    ),
    AlreadySubmitted: lambda _: ApiError(
        409, "already_submitted", "This deletion request already has its questionnaire."
    ),
    handlers.RequestNotKnown: lambda _: ApiError(
        409,
        "request_not_yet_known",
        "Survey does not know this deletion request (yet). If deletion shows it waiting for its"
        " questionnaire, send again after Retry-After seconds.",
        retry_after=RETRY_UNKNOWN_SECONDS,
        headers={"Retry-After": str(RETRY_UNKNOWN_SECONDS)},
    ),
}
"""The survey's domain errors and their HTTP answers (installed once by bootstrap)."""


class Option(BaseModel):
    id: str
    label: str


class Questionnaire(BaseModel):
    version: int
    reasons: list[Option]
    problems: list[Option]
    aspects: list[Option]
    comment_max_length: int
    other_max_length: int


class ResponseIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    request_id: str = Field(min_length=1, max_length=64)
    reasons: list[str] = Field(max_length=20)
    problems: list[str] = Field(default_factory=list, max_length=20)
    # Strict, so that true or "5" is refused rather than read as a rating.
    ratings: dict[str, StrictInt] = Field(default_factory=dict, max_length=20)
    other_reason: str | None = None
    other_problem: str | None = None
    comment: str | None = None


class ResponseAccepted(BaseModel):
    request_id: str
    status: Literal["submitted"] = "submitted"


@router.get("/v1/survey", response_model=Questionnaire)
async def get_survey(deps: SurveyDeps, lang: Literal["nb", "en"] = Query("nb")) -> Questionnaire:
    """The exit questionnaire in one language: the options offered now."""
    offered = deps.questionnaire.offered

    def options(section: Section) -> list[Option]:
        return [Option(id=o.id, label=o.label(lang)) for o in offered(section)]

    return Questionnaire(
        version=deps.questionnaire.version,
        reasons=options("reasons"),
        problems=options("problems"),
        aspects=options("aspects"),
        comment_max_length=deps.questionnaire.comment_max_length,
        other_max_length=deps.questionnaire.other_max_length,
    )


@router.post(
    "/v1/responses",
    status_code=201,
    response_model=ResponseAccepted,
    responses=error_responses(401, 409, 422),
)
async def post_response(
    body: ResponseIn, request: Request, who: Claims, deps: SurveyDeps
) -> ResponseAccepted:
    """Send the questionnaire for a deletion request; this leads to the code being sent.

    Only the owner of a request waiting for its questionnaire may send it. Any other id
    answers 409 ``request_not_yet_known`` with ``Retry-After``, alike whether the request is
    unknown, another account's, no longer waiting, or not yet heard of from deletion (survey
    learns of a request from deletion's event, seconds after deletion answered): survey cannot
    tell "not yet" from "never" without knowing other people's requests. Ask deletion
    (``GET /v1/deletion-requests/{id}``): while it shows the request ``awaiting_survey``, send
    again after ``Retry-After``. 409 ``already_submitted``: this request has its answer; there
    is no route to change a response, once sent it is final.
    """
    answers = Answers(
        reasons=tuple(body.reasons),
        problems=tuple(body.problems),
        ratings=body.ratings,
        other_reason=body.other_reason,
        other_problem=body.other_problem,
        comment=body.comment,
    )
    await handlers.submit_response(
        deps,
        account_id=who.account_id,
        request_id=body.request_id,
        answers=answers,
        correlation_id=correlation_id(request),
    )
    return ResponseAccepted(request_id=body.request_id)


# Reports are about people, even if no one in them can be named: no copies kept on the way.
_PRIVATE = {"Cache-Control": "no-store", "X-Content-Type-Options": "nosniff"}


def _iso_day(value: object) -> object:
    # Only the document's YYYY-MM-DD: pydantic alone would also take "0" (as 1970-01-01).
    if isinstance(value, str) and not _ISO_DAY.fullmatch(value):
        raise ValueError("give a day as YYYY-MM-DD")
    return value


_ISO_DAY = re.compile(r"\d{4}-\d{2}-\d{2}")
Day = Annotated[date | None, BeforeValidator(_iso_day)]


async def _report(
    deps: SurveyDeps,
    first: Annotated[Day, Query(alias="from", description="YYYY-MM-DD")] = None,
    last: Annotated[Day, Query(alias="to", description="YYYY-MM-DD")] = None,
    lang: Lang = "nb",
) -> Summary:
    return await handlers.summary_report(deps, first=first, last=last, lang=lang)


Report = Annotated[Summary, Depends(_report)]
_ERRORS = error_responses(401, 422)


@report_router.get("/summary", response_model=Summary, responses=_ERRORS)
async def summary(found: Report, response: Response) -> Summary:
    """Counts per reason and problem, ratings per aspect, responses per ISO week."""
    response.headers.update(_PRIVATE)
    return found


@report_router.get("/summary.csv", response_class=Response, responses=_ERRORS)
async def summary_csv(found: Report) -> Response:
    """The same report as CSV: section, id, label, rating, count, mean, suppressed."""
    name = f"survey-summary-{found.period.first}-{found.period.last}.csv"
    return Response(
        to_csv(found),
        media_type="text/csv; charset=utf-8",
        headers={**_PRIVATE, "Content-Disposition": f'attachment; filename="{name}"'},
    )


@report_router.get("/summary.html", response_class=HTMLResponse, responses=_ERRORS)
async def summary_html(found: Report) -> HTMLResponse:
    """The same report as a page with bar charts; it loads nothing from anywhere."""
    headers = {
        **_PRIVATE,
        "Content-Security-Policy": content_security_policy(),
        "Referrer-Policy": "no-referrer",
    }
    return HTMLResponse(render_summary(found), headers=headers)
