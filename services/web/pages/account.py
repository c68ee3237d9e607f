"""Account settings: the "take a break" switch first, then profile, password, contact
details and picture, and last the way to deletion."""

from __future__ import annotations

from typing import Any, Literal, NamedTuple

from fastapi import APIRouter, Request
from starlette.datastructures import UploadFile
from starlette.responses import Response

from services.web.backend import Backend, Reply
from services.web.pages.common import Api, CheckedForm, Pages, Person, field_errors, text_of
from services.web.render import LANGUAGES, Renderer, redirect
from services.web.session import Session

__all__ = ["PREFERENCES", "router"]

PREFERENCES = ("email", "sms", "push", "marketing", "ads")
_PICTURE_TYPES = ("image/png", "image/jpeg", "image/webp")
_PICTURE_MAX_BYTES = 8 * 1024 * 1024  # auth checks the real limits; this only bounds our memory

router = APIRouter(prefix="/account")


class Where(NamedTuple):
    """Where a form's outcome is shown: its error's field, the section, the notice."""

    field: str
    anchor: str
    known: tuple[str, ...] = ()
    notice: str = "saved"


async def _render(
    request: Request,
    pages: Renderer,
    api: Backend,
    session: Session,
    status: int = 200,
    errors: dict[str, str] | None = None,
    typed: dict[str, str] | None = None,
) -> Response:
    """The settings page; ``typed`` puts back what the person wrote into a refused form."""
    me = await api.call("auth", "GET", "/v1/me", token=session.token)
    prefs = await api.call("auth", "GET", "/v1/me/notifications", token=session.token)
    context: dict[str, Any] = {
        "me": me.data if me.ok else {},
        "prefs": prefs.data if prefs.ok else me.data.get("notifications") or {},
        "preferences": PREFERENCES,
        "languages": LANGUAGES,
        "typed": typed or {},
    }
    return pages.page(
        request, "account.html", status, errors=errors or {}, here="/account", **context
    )


async def _outcome(
    request: Request,
    pages: Renderer,
    api: Backend,
    session: Session,
    reply: Reply,
    where: Where,
    typed: dict[str, str] | None = None,
) -> Response:
    """Back to the section with a notice when it worked, else the page with the error."""
    if reply.ok:
        session.update(notice=where.notice)
        return redirect(f"/account#{where.anchor}")
    errors = field_errors(reply, pages.texts(request), where.field, where.known)
    status = 422 if reply.status < 500 else 502
    return await _render(request, pages, api, session, status, errors, typed)


@router.get("")
async def account(request: Request, pages: Pages, api: Api, session: Person) -> Response:
    return await _render(request, pages, api, session)


async def take_a_break(api: Backend, session: Session) -> Reply:
    """Every notification and ad off: the one-click alternative to leaving."""
    body = dict.fromkeys(PREFERENCES, False)
    return await api.call("auth", "PUT", "/v1/me/notifications", token=session.token, json=body)


@router.post("/break")
async def break_now(
    request: Request, form: CheckedForm, pages: Pages, api: Api, session: Person
) -> Response:
    reply = await take_a_break(api, session)
    return await _outcome(
        request, pages, api, session, reply, Where("break", "break", notice="break_done")
    )


@router.post("/notifications")
async def notifications(
    request: Request, form: CheckedForm, pages: Pages, api: Api, session: Person
) -> Response:
    body = {name: form.get(f"pref_{name}") == "on" for name in PREFERENCES}
    reply = await api.call("auth", "PUT", "/v1/me/notifications", token=session.token, json=body)
    return await _outcome(request, pages, api, session, reply, Where("notifications", "break"))


@router.post("/profile")
async def profile(
    request: Request, form: CheckedForm, pages: Pages, api: Api, session: Person
) -> Response:
    body: dict[str, str] = {}
    if username := text_of(form, "username"):
        body["username"] = username
    if (language := text_of(form, "language")) in LANGUAGES:
        body["language"] = language
    reply = await api.call("auth", "PATCH", "/v1/me", token=session.token, json=body)
    if reply.ok and "language" in body:
        session.update(lang=body["language"])
    where = Where("username", "profile", ("username", "language"))
    return await _outcome(request, pages, api, session, reply, where, {"username": username})


@router.post("/password")
async def password(
    request: Request, form: CheckedForm, pages: Pages, api: Api, session: Person
) -> Response:
    body = {name: str(form.get(name) or "") for name in ("current_password", "new_password")}
    reply = await api.call("auth", "PUT", "/v1/me/password", token=session.token, json=body)
    if reply.ok:  # every session is revoked, ours too
        session.sign_out()
        session.update(notice="password_changed")
        return redirect("/login")
    errors = field_errors(reply, pages.texts(request), "new_password", tuple(body))
    if reply.error == "invalid_credentials":
        errors = {"current_password": pages.texts(request).error(reply.error)}
    return await _render(request, pages, api, session, 422, errors)


# Before the /{kind} routes, which would otherwise claim /picture.
@router.get("/picture")
async def picture(api: Api, session: Person) -> Response:
    reply = await api.call("auth", "GET", "/v1/me/picture", token=session.token)
    if not reply.ok or reply.content_type not in _PICTURE_TYPES:
        return Response(status_code=404)
    return Response(reply.content, media_type=reply.content_type)


def _picture_problem(upload: object) -> str | None:
    if not isinstance(upload, UploadFile) or not upload.filename:
        return "required"
    if upload.content_type not in _PICTURE_TYPES:
        return "unsupported_media_type"
    return None


@router.post("/picture")
async def upload(
    request: Request, form: CheckedForm, pages: Pages, api: Api, session: Person
) -> Response:
    chosen = form.get("picture")
    texts = pages.texts(request)
    problem = _picture_problem(chosen)
    if problem or not isinstance(chosen, UploadFile):
        status = 415 if problem == "unsupported_media_type" else 422
        errors = {"picture": texts.error(problem or "required")}
        return await _render(request, pages, api, session, status, errors)
    content = await chosen.read(_PICTURE_MAX_BYTES + 1)
    if len(content) > _PICTURE_MAX_BYTES:
        errors = {"picture": texts.error("payload_too_large")}
        return await _render(request, pages, api, session, 413, errors)
    reply = await api.call(
        "auth",
        "PUT",
        "/v1/me/picture",
        token=session.token,
        content=content,
        content_type=chosen.content_type,
    )
    return await _outcome(request, pages, api, session, reply, Where("picture", "picture"))


@router.post("/picture/delete")
async def remove(
    request: Request, form: CheckedForm, pages: Pages, api: Api, session: Person
) -> Response:
    reply = await api.call("auth", "DELETE", "/v1/me/picture", token=session.token)
    return await _outcome(request, pages, api, session, reply, Where("picture", "picture"))


@router.post("/{kind}")
async def contact(
    request: Request,
    kind: Literal["email", "phone"],
    form: CheckedForm,
    pages: Pages,
    api: Api,
    session: Person,
) -> Response:
    value = text_of(form, kind)
    if not value:
        errors: dict[str, str] = {kind: pages.texts(request).error("required")}
        return await _render(request, pages, api, session, 422, errors)
    reply = await api.call(
        "auth", "POST", f"/v1/me/{kind}", token=session.token, json={kind: value}
    )
    if reply.ok:
        session.update(pending_contact=kind)
    where = Where(kind, kind, (kind,), notice="contact_sent")
    return await _outcome(request, pages, api, session, reply, where, {kind: value})


@router.post("/{kind}/confirm")
async def contact_confirm(
    request: Request,
    kind: Literal["email", "phone"],
    form: CheckedForm,
    pages: Pages,
    api: Api,
    session: Person,
) -> Response:
    # The page has two code fields (e-mail and phone), so each is named after its kind.
    body = {"code": text_of(form, f"{kind}_code")}
    if not body["code"]:
        errors = {f"{kind}_code": pages.texts(request).error("required")}
        return await _render(request, pages, api, session, 422, errors)
    reply = await api.call("auth", "POST", f"/v1/me/{kind}/confirm", token=session.token, json=body)
    if reply.ok:
        session.update(pending_contact=None)
    return await _outcome(request, pages, api, session, reply, Where(f"{kind}_code", kind))
