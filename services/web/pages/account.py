"""Account settings: the "take a break" switch first, then profile, password, contact
details and picture, and last the way to deletion."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any, Literal

from fastapi import APIRouter, Depends, Request
from starlette.datastructures import UploadFile
from starlette.responses import Response

from services.web.pages.common import CheckedForm, Deps, field_errors, person, text_of
from services.web.render import LANGUAGES, redirect
from services.web.session import Session

__all__ = ["PREFERENCES", "build_router"]

PREFERENCES = ("email", "sms", "push", "marketing", "ads")
Render = Callable[..., Awaitable[Response]]
Outcome = Callable[..., Awaitable[Response]]
_PICTURE_TYPES = ("image/png", "image/jpeg", "image/webp")
_PICTURE_MAX_BYTES = 8 * 1024 * 1024  # auth checks the real limits; this only bounds our memory


def build_router(deps: Deps) -> APIRouter:
    """Routes of the account settings page."""
    router = APIRouter(prefix="/account")
    pages, backend = deps.renderer, deps.backend
    Person = Depends(person)  # noqa: N806  # a dependency, named like the type it guards

    async def render(
        request: Request, session: Session, status: int = 200, errors: dict[str, str] | None = None
    ) -> Response:
        me = await backend.call("auth", "GET", "/v1/me", token=session.token)
        prefs = await backend.call("auth", "GET", "/v1/me/notifications", token=session.token)
        context: dict[str, Any] = {
            "me": me.data if me.ok else {},
            "prefs": prefs.data if prefs.ok else me.data.get("notifications") or {},
            "preferences": PREFERENCES,
            "languages": LANGUAGES,
        }
        return pages.page(
            request, "account.html", status, errors=errors or {}, here="/account", **context
        )

    async def outcome(
        request: Request,
        session: Session,
        reply: Any,
        field: str,
        known: tuple[str, ...],
        notice: str,
        anchor: str,
    ) -> Response:
        if reply.ok:
            session.update(notice=notice)
            return redirect(f"/account#{anchor}")
        errors = field_errors(reply, pages.texts(request), field, known)
        return await render(request, session, 422 if reply.status < 500 else 502, errors)

    # Before the /{kind} routes, which would otherwise claim /picture.
    _picture_routes(router, deps, render, outcome, Person)

    @router.get("")
    async def account(request: Request, session: Session = Person) -> Response:
        return await render(request, session)

    @router.post("/break")
    async def take_a_break(
        request: Request, form: CheckedForm, session: Session = Person
    ) -> Response:
        body = dict.fromkeys(PREFERENCES, False)
        reply = await backend.call(
            "auth", "PUT", "/v1/me/notifications", token=session.token, json=body
        )
        return await outcome(request, session, reply, "break", (), "break_done", "break")

    @router.post("/notifications")
    async def notifications(
        request: Request, form: CheckedForm, session: Session = Person
    ) -> Response:
        body = {name: form.get(f"pref_{name}") == "on" for name in PREFERENCES}
        reply = await backend.call(
            "auth", "PUT", "/v1/me/notifications", token=session.token, json=body
        )
        return await outcome(request, session, reply, "notifications", (), "saved", "break")

    @router.post("/profile")
    async def profile(request: Request, form: CheckedForm, session: Session = Person) -> Response:
        body: dict[str, str] = {}
        if username := text_of(form, "username"):
            body["username"] = username
        if (language := text_of(form, "language")) in LANGUAGES:
            body["language"] = language
        reply = await backend.call("auth", "PATCH", "/v1/me", token=session.token, json=body)
        if reply.ok and "language" in body:
            session.update(lang=body["language"])
        known = ("username", "language")
        return await outcome(request, session, reply, "username", known, "saved", "profile")

    @router.post("/password")
    async def password(request: Request, form: CheckedForm, session: Session = Person) -> Response:
        body = {name: str(form.get(name) or "") for name in ("current_password", "new_password")}
        reply = await backend.call("auth", "PUT", "/v1/me/password", token=session.token, json=body)
        if reply.ok:  # every session is revoked, ours too
            session.sign_out()
            session.update(notice="password_changed")
            return redirect("/login")
        errors = field_errors(reply, pages.texts(request), "new_password", tuple(body))
        if reply.error == "invalid_credentials":
            errors = {"current_password": pages.texts(request).error(reply.error)}
        return await render(request, session, 422, errors)

    @router.post("/{kind}")
    async def contact(
        request: Request,
        kind: Literal["email", "phone"],
        form: CheckedForm,
        session: Session = Person,
    ) -> Response:
        value = text_of(form, kind)
        if not value:
            return await render(
                request, session, 422, {kind: pages.texts(request).error("required")}
            )
        reply = await backend.call(
            "auth", "POST", f"/v1/me/{kind}", token=session.token, json={kind: value}
        )
        if reply.ok:
            session.update(pending_contact=kind)
        return await outcome(request, session, reply, kind, (kind,), "contact_sent", kind)

    @router.post("/{kind}/confirm")
    async def contact_confirm(
        request: Request,
        kind: Literal["email", "phone"],
        form: CheckedForm,
        session: Session = Person,
    ) -> Response:
        # The page has two code fields (e-mail and phone), so each is named after its kind.
        body = {"code": text_of(form, f"{kind}_code")}
        if not body["code"]:
            errors = {f"{kind}_code": pages.texts(request).error("required")}
            return await render(request, session, 422, errors)
        reply = await backend.call(
            "auth", "POST", f"/v1/me/{kind}/confirm", token=session.token, json=body
        )
        if reply.ok:
            session.update(pending_contact=None)
        return await outcome(request, session, reply, f"{kind}_code", (), "saved", kind)

    return router


def _picture_routes(
    router: APIRouter, deps: Deps, render: Render, outcome: Outcome, guard: Any
) -> None:
    backend, pages = deps.backend, deps.renderer

    @router.get("/picture")
    async def picture(session: Session = guard) -> Response:
        reply = await backend.call("auth", "GET", "/v1/me/picture", token=session.token)
        if not reply.ok or reply.content_type not in _PICTURE_TYPES:
            return Response(status_code=404)
        return Response(reply.content, media_type=reply.content_type)

    @router.post("/picture")
    async def upload(request: Request, form: CheckedForm, session: Session = guard) -> Response:
        upload = form.get("picture")
        texts = pages.texts(request)
        if not isinstance(upload, UploadFile) or not upload.filename:
            return await render(request, session, 422, {"picture": texts.error("required")})
        if upload.content_type not in _PICTURE_TYPES:
            error = texts.error("unsupported_media_type")
            return await render(request, session, 415, {"picture": error})
        content = await upload.read(_PICTURE_MAX_BYTES + 1)
        if len(content) > _PICTURE_MAX_BYTES:
            return await render(
                request, session, 413, {"picture": texts.error("payload_too_large")}
            )
        reply = await backend.call(
            "auth",
            "PUT",
            "/v1/me/picture",
            token=session.token,
            content=content,
            content_type=upload.content_type,
        )
        return await outcome(request, session, reply, "picture", (), "saved", "picture")

    @router.post("/picture/delete")
    async def remove(request: Request, form: CheckedForm, session: Session = guard) -> Response:
        reply = await backend.call("auth", "DELETE", "/v1/me/picture", token=session.token)
        return await outcome(request, session, reply, "picture", (), "saved", "picture")
