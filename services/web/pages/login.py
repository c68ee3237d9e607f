"""Signing in and out, and choosing a new password with a code ("forgot password")."""

from __future__ import annotations

import contextlib

from fastapi import APIRouter, Request
from starlette.responses import Response

from services.web.backend import SessionEnded
from services.web.pages.common import CheckedForm, Deps, field_errors, text_of
from services.web.render import LANGUAGES, redirect, session_of
from services.web.session import Session

__all__ = ["build_router"]

_CHANNELS = ("email", "sms")


def build_router(deps: Deps) -> APIRouter:
    """Routes for sign-in, sign-out and password reset."""
    router = APIRouter()
    pages, backend = deps.renderer, deps.backend

    @router.get("/")
    async def home(request: Request) -> Response:
        return redirect("/account" if session_of(request).signed_in else "/login")

    @router.get("/login")
    async def login_page(request: Request) -> Response:
        return pages.page(request, "login.html", login="")

    @router.post("/login")
    async def login(request: Request, form: CheckedForm) -> Response:
        texts = pages.texts(request)
        login, password = text_of(form, "login"), str(form.get("password") or "")
        errors = {
            name: texts.error("required")
            for name in ("login", "password")
            if not (login if name == "login" else password)
        }
        if errors:
            return pages.page(request, "login.html", 422, errors=errors, login=login)
        reply = await backend.call(
            "auth", "POST", "/v1/sessions", json={"login": login, "password": password}
        )
        if reply.status != 201:
            errors = field_errors(reply, texts, "login", ("login", "password"))
            if reply.error == "invalid_credentials":
                errors = {"password": texts.error(reply.error)}
            return pages.page(request, "login.html", reply.status, errors=errors, login=login)
        await _start_session(deps, session_of(request), str(reply.data["access_token"]))
        return redirect("/account")

    @router.post("/logout")
    async def logout(request: Request, form: CheckedForm) -> Response:
        session = session_of(request)
        if session.token:
            # A session already over needs no ending; signing out here is all that is left.
            with contextlib.suppress(SessionEnded):
                await backend.call("auth", "DELETE", "/v1/sessions/current", token=session.token)
        session.sign_out()
        return redirect("/login")

    _reset_routes(router, deps)
    return router


async def _start_session(deps: Deps, session: Session, token: str) -> None:
    """A fresh session (new CSRF token: no fixation) in the account's language."""
    session.sign_out()
    session.update(token=token, issued_at=deps.clock.now().timestamp())
    me = await deps.backend.call("auth", "GET", "/v1/me", token=token)
    if me.ok and me.data.get("language") in LANGUAGES:
        session.update(lang=me.data["language"])


def _reset_routes(router: APIRouter, deps: Deps) -> None:
    pages, backend = deps.renderer, deps.backend

    @router.get("/password-reset")
    async def reset_page(request: Request) -> Response:
        return pages.page(request, "reset_request.html", login="", channel="email")

    @router.post("/password-reset")
    async def reset(request: Request, form: CheckedForm) -> Response:
        texts = pages.texts(request)
        login, channel = text_of(form, "login"), text_of(form, "channel")
        channel = channel if channel in _CHANNELS else "email"
        if not login:
            errors = {"login": texts.error("required")}
            return pages.page(
                request, "reset_request.html", 422, errors=errors, login=login, channel=channel
            )
        body = {"login": login, "channel": channel}
        reply = await backend.call("auth", "POST", "/v1/password-resets", json=body)
        if reply.status != 202:
            errors = field_errors(reply, texts, "login", ("login", "channel"))
            return pages.page(
                request,
                "reset_request.html",
                reply.status,
                errors=errors,
                login=login,
                channel=channel,
            )
        return pages.page(
            request, "reset_confirm.html", login=login, sent=True, here="/password-reset/confirm"
        )

    @router.get("/password-reset/confirm")
    async def reset_confirm_page(request: Request) -> Response:
        return pages.page(request, "reset_confirm.html", login="", sent=False)

    @router.post("/password-reset/confirm")
    async def reset_confirm(request: Request, form: CheckedForm) -> Response:
        texts = pages.texts(request)
        login, code = text_of(form, "login"), text_of(form, "code")
        new_password = str(form.get("new_password") or "")
        fields = ("login", "code", "new_password")
        values = {"login": login, "code": code, "new_password": new_password}
        errors = {name: texts.error("required") for name in fields if not values[name]}
        if not errors:
            reply = await backend.call("auth", "POST", "/v1/password-resets/confirm", json=values)
            if reply.ok:
                session_of(request).update(notice="reset_done")
                return redirect("/login")
            errors = field_errors(reply, texts, "code", fields)
        return pages.page(
            request, "reset_confirm.html", 422, errors=errors, login=login, sent=False
        )
