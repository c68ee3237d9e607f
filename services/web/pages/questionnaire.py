"""The exit questionnaire: reasons, problems, six ratings and a comment, sent to survey."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from starlette.datastructures import FormData
from starlette.responses import Response

from services.web.backend import Backend, Reply
from services.web.pages.common import Api, CheckedForm, Pages, Person, field_errors, text_of
from services.web.pages.deletion import request_path
from services.web.render import Renderer, redirect
from services.web.session import Session

__all__ = ["router"]

router = APIRouter(prefix="/delete")

_TEXT_FIELDS = ("other_reason", "other_problem", "comment")
_RATINGS = frozenset("12345")


def _answers(form: FormData, aspects: list[str]) -> dict[str, Any]:
    given = {aspect: text_of(form, f"rating_{aspect}") for aspect in aspects}
    ratings = {aspect: int(value) for aspect, value in given.items() if value in _RATINGS}
    answers: dict[str, Any] = {
        "reasons": [str(v) for v in form.getlist("reasons")],
        "problems": [str(v) for v in form.getlist("problems")],
        "ratings": ratings,
    }
    answers.update({name: text_of(form, name) for name in _TEXT_FIELDS if text_of(form, name)})
    return answers


async def _render(
    request: Request,
    pages: Renderer,
    api: Backend,
    status: int = 200,
    errors: dict[str, str] | None = None,
    answers: dict[str, Any] | None = None,
) -> Response:
    lang = pages.texts(request).lang
    survey = await api.call("survey", "GET", "/v1/survey", params={"lang": lang})
    return pages.page(
        request,
        "survey.html",
        status,
        errors=errors or {},
        here="/delete/survey",
        survey=survey.data,
        answers=answers or {"reasons": [], "problems": [], "ratings": {}},
    )


async def _not_yet(
    request: Request,
    pages: Renderer,
    api: Backend,
    session: Session,
    answers: dict[str, Any],
    reply: Reply,
) -> Response:
    """Survey has not heard of the request: "one moment" if deletion shows it on its way.

    Deletion, asked as this person about their own request, tells "not yet" (it waits for
    its questionnaire: survey has not read deletion's event yet) from "never" (cancelled,
    lapsed, gone: the deletion page shows where it is). Nothing beyond the person's own.
    """
    found = await api.call("deletion", "GET", request_path(session), token=session.token)
    if found.data.get("status") != "awaiting_survey":
        return redirect("/delete")
    errors = {"reasons": pages.texts(request).error("request_not_yet_known")}
    page = await _render(request, pages, api, 409, errors, answers)
    page.headers["Retry-After"] = str(reply.data.get("retry_after", 5))
    return page


@router.get("/survey")
async def survey_page(request: Request, pages: Pages, api: Api, session: Person) -> Response:
    return await _render(request, pages, api) if session.request_id else redirect("/delete")


@router.post("/survey")
async def send(
    request: Request, form: CheckedForm, pages: Pages, api: Api, session: Person
) -> Response:
    if not session.request_id:
        return redirect("/delete")
    aspects = [k.removeprefix("rating_") for k in form if k.startswith("rating_")]
    answers = _answers(form, aspects)
    if not answers["reasons"]:
        # Said here at once, in the page's words, next to the reasons (survey would refuse too).
        errors = {"reasons": pages.texts(request).error("reasons_required")}
        return await _render(request, pages, api, 422, errors, answers)
    body = {"request_id": session.request_id, **answers}
    reply = await api.call("survey", "POST", "/v1/responses", token=session.token, json=body)
    if reply.ok or reply.error == "already_submitted":
        return redirect("/delete/code")
    if reply.error == "request_not_yet_known":
        return await _not_yet(request, pages, api, session, answers, reply)
    known = ("reasons", "problems", *_TEXT_FIELDS, *(f"ratings.{a}" for a in aspects))
    errors = field_errors(reply, pages.texts(request), "reasons", known)
    return await _render(request, pages, api, 422, errors, answers)
