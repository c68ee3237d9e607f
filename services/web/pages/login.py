"""Signing in and out, and choosing a new password with a code ("forgot password")."""

from __future__ import annotations

import contextlib

from fastapi import APIRouter, Request
from starlette.responses import Response

from services.web.backend import Backend, SessionEnded
from services.web.pages.common import (
    Anyone,
    Api,
    CheckedForm,
    ClientAddress,
    Pages,
    Time,
    field_errors,
    text_of,
)
from services.web.pages.signup import resend_code
from services.web.render import LANGUAGES, redirect
from services.web.session import Session
from shared.clock import Clock

__all__ = ["router"]

router = APIRouter()
_CHANNELS = ("email", "sms")


@router.get("/")
async def home(session: Anyone) -> Response:
    return redirect("/account" if session.signed_in else "/login")


@router.get("/login")
async def login_page(request: Request, pages: Pages, session: Anyone) -> Response:
    return pages.page(request, "login.html", login=session.signup_login or "")


@router.post("/login")
async def login(
    request: Request,
    form: CheckedForm,
    pages: Pages,
    api: Api,
    clock: Time,
    session: Anyone,
    client: ClientAddress,
) -> Response:
    texts = pages.texts(request)
    login, password = text_of(form, "login"), str(form.get("password") or "")
    errors = {
        name: texts.error("required")
        for name, v in (("login", login), ("password", password))
        if not v
    }
    if errors:
        return pages.page(request, "login.html", 422, errors=errors, login=login)
    reply = await api.call(
        "auth", "POST", "/v1/sessions", json={"login": login, "password": password}, client=client
    )
    if reply.error == "address_unverified":
        # The right password for an account still waiting for its proof: a fresh code.
        await resend_code(api, session, login)
        session.update(notice="address_unverified")
        return redirect("/signup/verify")
    if reply.status != 201:
        errors = field_errors(reply, texts, "login", ("login", "password"))
        if reply.error == "invalid_credentials":
            errors = {"password": texts.error(reply.error)}
        return pages.page(request, "login.html", reply.status, errors=errors, login=login)
    await _start_session(api, clock, session, str(reply.data["access_token"]))
    return redirect("/account")


@router.post("/logout")
async def logout(form: CheckedForm, api: Api, session: Anyone) -> Response:
    if session.token:
        # A session already over needs no ending; signing out here is all that is left.
        with contextlib.suppress(SessionEnded):
            await api.call("auth", "DELETE", "/v1/sessions/current", token=session.token)
    session.sign_out()
    return redirect("/login")


async def _start_session(api: Backend, clock: Clock, session: Session, token: str) -> None:
    """A fresh session (new CSRF token: no fixation) in the account's language and zone."""
    session.sign_out()
    session.update(token=token, issued_at=clock.now().timestamp())
    me = await api.call("auth", "GET", "/v1/me", token=token)
    if me.ok and me.data.get("language") in LANGUAGES:
        session.update(lang=me.data["language"])
    if me.ok and me.data.get("time_zone"):
        session.update(time_zone=str(me.data["time_zone"]))


@router.get("/password-reset")
async def reset_page(request: Request, pages: Pages) -> Response:
    return pages.page(request, "reset_request.html", login="", channel="email")


@router.post("/password-reset")
async def reset(request: Request, form: CheckedForm, pages: Pages, api: Api) -> Response:
    texts = pages.texts(request)
    login, channel = text_of(form, "login"), text_of(form, "channel")
    channel = channel if channel in _CHANNELS else "email"
    again = {"login": login, "channel": channel}
    if not login:
        errors = {"login": texts.error("required")}
        return pages.page(request, "reset_request.html", 422, errors=errors, **again)
    reply = await api.call("auth", "POST", "/v1/password-resets", json=again)
    if reply.status != 202:
        errors = field_errors(reply, texts, "login", ("login", "channel"))
        return pages.page(request, "reset_request.html", reply.status, errors=errors, **again)
    return pages.page(
        request, "reset_confirm.html", login=login, sent=True, here="/password-reset/confirm"
    )


@router.get("/password-reset/confirm")
async def reset_confirm_page(request: Request, pages: Pages) -> Response:
    return pages.page(request, "reset_confirm.html", login="", code="", sent=False)


@router.post("/password-reset/confirm")
async def reset_confirm(
    request: Request, form: CheckedForm, pages: Pages, api: Api, session: Anyone
) -> Response:
    texts = pages.texts(request)
    fields = ("login", "code", "new_password")
    values = {"login": text_of(form, "login"), "code": text_of(form, "code")}
    values["new_password"] = str(form.get("new_password") or "")
    errors = {name: texts.error("required") for name in fields if not values[name]}
    if not errors:
        reply = await api.call("auth", "POST", "/v1/password-resets/confirm", json=values)
        if reply.ok:
            session.update(notice="reset_done")
            return redirect("/login")
        errors = field_errors(reply, texts, "code", fields)
    return pages.page(
        request,
        "reset_confirm.html",
        422,
        errors=errors,
        login=values["login"],
        code=values["code"],
        sent=False,
    )
