"""The deletion flow: consequences (both boxes) → password again if needed → questionnaire →
code → the final message with the deadline."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from fastapi import APIRouter, Depends, Request
from starlette.datastructures import FormData
from starlette.responses import Response

from services.web.pages.common import CheckedForm, Deps, field_errors, person, text_of
from services.web.render import redirect, session_of
from services.web.session import Session

__all__ = ["build_router"]

_STEP_OF_STATUS = {
    "awaiting_survey": "/delete/survey",
    "awaiting_code": "/delete/code",
    "scheduled": "/delete/done",
}
_TEXT_FIELDS = ("other_reason", "other_problem", "comment")
_RATINGS = frozenset("12345")


def build_router(deps: Deps) -> APIRouter:
    """Routes of the deletion flow."""
    router = APIRouter(prefix="/delete")
    pages, backend = deps.renderer, deps.backend
    Person = Depends(person)  # noqa: N806  # a dependency, named like the type it guards

    async def consequences_page(
        request: Request,
        session: Session,
        status: int = 200,
        errors: dict[str, str] | None = None,
        **values: Any,
    ) -> Response:
        lang = pages.texts(request).lang
        text = await backend.call(
            "deletion", "GET", "/v1/deletion/consequences", params={"lang": lang}
        )
        me = await backend.call("auth", "GET", "/v1/me", token=session.token)
        channels = [
            name for name, key in (("email", "email"), ("sms", "phone")) if me.data.get(key)
        ] or ["email"]
        values.setdefault("channel", channels[0])
        return pages.page(
            request,
            "delete.html",
            status,
            errors=errors or {},
            here="/delete",
            consequences=text.data,
            channels=channels,
            values=values,
        )

    @router.get("")
    async def start(request: Request, session: Session = Person) -> Response:
        if session.request_id:
            status = await backend.call(
                "deletion",
                "GET",
                f"/v1/deletion-requests/{session.request_id}",
                token=session.token,
            )
            step = _STEP_OF_STATUS.get(str(status.data.get("status")))
            if step:
                return redirect(step)
            session.update(request_id=None)
        return await consequences_page(request, session)

    @router.post("")
    async def decide(request: Request, form: CheckedForm, session: Session = Person) -> Response:
        texts = pages.texts(request)
        ticked = {box: form.get(box) == "yes" for box in ("understood", "accepted")}
        channel = text_of(form, "channel")
        errors = {box: texts.error("box_required") for box, on in ticked.items() if not on}
        if channel not in ("email", "sms"):
            errors["channel"] = texts.error("required")
        if errors:  # the real guard; the disabled button is only a convenience
            return await consequences_page(request, session, 422, errors, channel=channel, **ticked)
        session.update(channel=channel)
        return await _ask_for_deletion(deps, request, session)

    @router.get("/reauth")
    async def reauth_page(request: Request, session: Session = Person) -> Response:
        if not session.channel:
            return redirect("/delete")
        return pages.page(request, "reauth.html")

    @router.post("/reauth")
    async def reauth(request: Request, form: CheckedForm, session: Session = Person) -> Response:
        if not session.channel:
            return redirect("/delete")
        password = str(form.get("password") or "")
        reply = await backend.call(
            "auth",
            "POST",
            "/v1/sessions/reauthenticate",
            token=session.token,
            json={"password": password},
        )
        if reply.status != 201:
            errors = {"password": pages.texts(request).error(reply.error or "required")}
            return pages.page(request, "reauth.html", 422, errors=errors)
        session.update(token=str(reply.data["access_token"]))
        return await _ask_for_deletion(deps, request, session)

    _survey_routes(router, deps, Person)
    _code_routes(router, deps, Person)
    return router


async def _ask_for_deletion(deps: Deps, request: Request, session: Session) -> Response:
    body = {"understood_consequences": True, "accepted_terms": True, "channel": session.channel}
    reply = await deps.backend.call(
        "deletion", "POST", "/v1/deletion-requests", token=session.token, json=body
    )
    if reply.status == 201 or reply.error == "request_exists":
        session.update(request_id=str(reply.data["request_id"]))
        return redirect("/delete")
    if reply.error == "reauthentication_required":
        return redirect("/delete/reauth")
    # Nothing a person can correct on a field: say so at the top of the first step.
    session.update(notice=reply.error or "http_error", channel=None)
    return redirect("/delete")


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


def _survey_routes(router: APIRouter, deps: Deps, guard: Any) -> None:
    pages, backend = deps.renderer, deps.backend

    async def render(
        request: Request,
        status: int = 200,
        errors: dict[str, str] | None = None,
        answers: dict[str, Any] | None = None,
    ) -> Response:
        lang = pages.texts(request).lang
        survey = await backend.call("survey", "GET", "/v1/survey", params={"lang": lang})
        return pages.page(
            request,
            "survey.html",
            status,
            errors=errors or {},
            here="/delete/survey",
            survey=survey.data,
            answers=answers or {"reasons": [], "problems": [], "ratings": {}},
        )

    @router.get("/survey")
    async def survey_page(request: Request, session: Session = guard) -> Response:
        return await render(request) if session.request_id else redirect("/delete")

    @router.post("/survey")
    async def send(request: Request, form: CheckedForm, session: Session = guard) -> Response:
        if not session.request_id:
            return redirect("/delete")
        aspects = [k.removeprefix("rating_") for k in form if k.startswith("rating_")]
        answers = _answers(form, aspects)
        body = {"request_id": session.request_id, **answers}
        reply = await backend.call(
            "survey", "POST", "/v1/responses", token=session.token, json=body
        )
        if reply.ok or reply.error == "already_submitted":
            return redirect("/delete/code")
        known = ("reasons", "problems", *_TEXT_FIELDS, *(f"ratings.{a}" for a in aspects))
        errors = field_errors(reply, pages.texts(request), "reasons", known)
        return await render(request, 422, errors, answers)


def _code_routes(router: APIRouter, deps: Deps, guard: Any) -> None:
    pages, backend = deps.renderer, deps.backend

    def url(session: Session, action: str = "") -> str:
        return f"/v1/deletion-requests/{session.request_id}{action}"

    @router.get("/code")
    async def code_page(request: Request, session: Session = guard) -> Response:
        if not session.request_id:
            return redirect("/delete")
        return pages.page(request, "code.html", channel=session.channel)

    @router.post("/code")
    async def confirm(request: Request, form: CheckedForm, session: Session = guard) -> Response:
        code = text_of(form, "code").replace(" ", "")
        reply = await backend.call(
            "deletion",
            "POST",
            url(session, "/confirm"),
            token=session.token,
            json={"code": code or "-"},
        )
        if reply.ok:
            deadline = str(reply.data.get("purge_deadline", ""))
            session.sign_out()  # the account can no longer be used; keep only the deadline
            session.update(purge_deadline=deadline)
            return redirect("/delete/done")
        errors = field_errors(reply, pages.texts(request), "code", ("code",))
        return pages.page(
            request, "code.html", 422, errors=errors, channel=session.channel, here="/delete/code"
        )

    @router.post("/code/resend")
    async def resend(request: Request, form: CheckedForm, session: Session = guard) -> Response:
        reply = await backend.call(
            "deletion",
            "POST",
            url(session, "/resend-code"),
            token=session.token,
            json={"channel": session.channel},
        )
        if reply.ok:
            session.update(notice="resent")
            return redirect("/delete/code")
        errors = field_errors(reply, pages.texts(request), "code", ("code",))
        return pages.page(
            request,
            "code.html",
            reply.status,
            errors=errors,
            channel=session.channel,
            here="/delete/code",
        )

    @router.post("/cancel")
    async def cancel(request: Request, form: CheckedForm, session: Session = guard) -> Response:
        if session.request_id:
            await backend.call("deletion", "POST", url(session, "/cancel"), token=session.token)
        session.update(request_id=None, channel=None, notice="cancelled")
        return redirect("/account")

    @router.get("/done")
    async def done(request: Request) -> Response:
        deadline = session_of(request).purge_deadline
        if not deadline:
            return redirect("/login")
        return pages.page(request, "done.html", deadline=_readable(deadline))


def _readable(instant: str) -> str:
    try:
        moment = datetime.fromisoformat(instant.replace("Z", "+00:00"))
    except ValueError:
        return instant
    return moment.strftime("%Y-%m-%d %H:%M UTC")
