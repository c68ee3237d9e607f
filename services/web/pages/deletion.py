"""The deletion flow's first steps: consequences (both boxes, or take a break instead) →
password again if needed → the request is made; and stopping it at any step."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from starlette.responses import Response

from services.web.backend import Backend
from services.web.masking import mask_address
from services.web.pages.account import take_a_break
from services.web.pages.common import Api, CheckedForm, Pages, Person, text_of
from services.web.pages.export import holds_of
from services.web.render import Renderer, redirect
from services.web.session import Session

__all__ = ["request_path", "router"]

router = APIRouter(prefix="/delete")

_STEP_OF_STATUS = {
    "awaiting_survey": "/delete/survey",
    "awaiting_code": "/delete/code",
    "scheduled": "/delete/done",
}
_CHANNEL_KEY = {"email": "email", "sms": "phone"}


def request_path(session: Session, action: str = "") -> str:
    """Deletion's URL of the session's request (and of one of its actions)."""
    return f"/v1/deletion-requests/{session.request_id}{action}"


async def _consequences(
    request: Request,
    pages: Renderer,
    api: Backend,
    session: Session,
    status: int = 200,
    errors: dict[str, str] | None = None,
    **values: Any,
) -> Response:
    lang = pages.texts(request).lang
    text = await api.call("deletion", "GET", "/v1/deletion/consequences", params={"lang": lang})
    me = await api.call("auth", "GET", "/v1/me", token=session.token)
    channels = [name for name, key in _CHANNEL_KEY.items() if me.data.get(key)] or ["email"]
    values.setdefault("channel", channels[0])
    return pages.page(
        request,
        "delete.html",
        status,
        errors=errors or {},
        here="/delete",
        consequences=text.data,
        holds=await holds_of(request, pages, api, session),
        channels=channels,
        values=values,
    )


@router.get("")
async def start(request: Request, pages: Pages, api: Api, session: Person) -> Response:
    if session.request_id:
        found = await api.call("deletion", "GET", request_path(session), token=session.token)
        step = _STEP_OF_STATUS.get(str(found.data.get("status")))
        if step:
            return redirect(step)
        session.update(request_id=None)
    return await _consequences(request, pages, api, session)


@router.post("")
async def decide(
    request: Request, form: CheckedForm, pages: Pages, api: Api, session: Person
) -> Response:
    texts = pages.texts(request)
    ticked = {box: form.get(box) == "yes" for box in ("understood", "accepted")}
    channel = text_of(form, "channel")
    errors = {box: texts.error("box_required") for box, on in ticked.items() if not on}
    if channel not in _CHANNEL_KEY:
        errors["channel"] = texts.error("required")
    if errors:  # the real guard; the disabled button is only a convenience
        return await _consequences(
            request, pages, api, session, 422, errors, channel=channel, **ticked
        )
    session.update(channel=channel)
    return await _ask_for_deletion(api, session)


@router.post("/break")
async def break_instead(form: CheckedForm, api: Api, session: Person) -> Response:
    """Take a break instead of leaving: the settings page's one click, from here."""
    reply = await take_a_break(api, session)
    session.update(notice="break_done" if reply.ok else reply.error)
    return redirect("/account#break" if reply.ok else "/delete")


@router.get("/reauth")
async def reauth_page(request: Request, pages: Pages, session: Person) -> Response:
    return pages.page(request, "reauth.html") if session.channel else redirect("/delete")


@router.post("/reauth")
async def reauth(
    request: Request, form: CheckedForm, pages: Pages, api: Api, session: Person
) -> Response:
    if not session.channel:
        return redirect("/delete")
    body = {"password": str(form.get("password") or "")}
    path = "/v1/sessions/reauthenticate"
    reply = await api.call("auth", "POST", path, token=session.token, json=body)
    if reply.status != 201:
        errors = {"password": pages.texts(request).error(reply.error or "required")}
        return pages.page(request, "reauth.html", 422, errors=errors)
    session.update(token=str(reply.data["access_token"]))
    return await _ask_for_deletion(api, session)


async def _ask_for_deletion(api: Backend, session: Session) -> Response:
    body = {"understood_consequences": True, "accepted_terms": True, "channel": session.channel}
    reply = await api.call(
        "deletion", "POST", "/v1/deletion-requests", token=session.token, json=body
    )
    if reply.status == 201 or reply.error == "request_exists":
        session.update(request_id=str(reply.data["request_id"]))
        await _remember_where_the_code_goes(api, session)
        return redirect("/delete")
    if reply.error == "reauthentication_required":
        return redirect("/delete/reauth")
    # Nothing a person can correct on a field: say so at the top of the first step.
    session.update(notice=reply.error or "http_error", channel=None)
    return redirect("/delete")


async def _remember_where_the_code_goes(api: Backend, session: Session) -> None:
    me = await api.call("auth", "GET", "/v1/me", token=session.token)
    address = me.data.get(_CHANNEL_KEY.get(session.channel or "", "email"))
    session.update(code_to=mask_address(str(address)) if address else None)


@router.post("/cancel")
async def cancel(form: CheckedForm, api: Api, session: Person) -> Response:
    if session.request_id:
        await api.call("deletion", "POST", request_path(session, "/cancel"), token=session.token)
    session.update(request_id=None, channel=None, code_to=None, notice="cancelled")
    return redirect("/account")
