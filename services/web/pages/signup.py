"""Sign-up: an address and a password, then the code sent to that address proves it.

The account cannot sign in before the code is entered (auth answers ``address_unverified``),
so a sign-in of an unproven account lands here too.
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from starlette.responses import Response

from services.web.backend import Backend
from services.web.masking import mask_address
from services.web.pages.common import (
    Anyone,
    Api,
    CheckedForm,
    ClientAddress,
    Pages,
    field_errors,
    text_of,
)
from services.web.render import LANGUAGES, redirect
from services.web.session import Session

__all__ = ["router"]

router = APIRouter(prefix="/signup")
_FIELDS = ("login", "password", "language")


@router.get("")
async def signup_page(request: Request, pages: Pages) -> Response:
    lang = pages.texts(request).lang
    return pages.page(request, "signup.html", values={"language": lang}, languages=LANGUAGES)


@router.post("")
async def sign_up(
    request: Request,
    form: CheckedForm,
    pages: Pages,
    api: Api,
    session: Anyone,
    client: ClientAddress,
) -> Response:
    texts = pages.texts(request)
    login, password = text_of(form, "login"), str(form.get("password") or "")
    language = text_of(form, "language")
    language = language if language in LANGUAGES else texts.lang
    values = {"login": login, "language": language}
    status = 422
    errors = {
        name: texts.error("required")
        for name, v in (("login", login), ("password", password))
        if not v
    }
    if not errors:
        kind = "email" if "@" in login else "phone"
        body = {kind: login, "password": password, "language": language}
        # The person's own address: auth limits sign-ups per address, not per web edge.
        reply = await api.call("auth", "POST", "/v1/sign-ups", json=body, client=client)
        if reply.ok:
            minutes = int(reply.data.get("code_valid_minutes", 0)) or None
            session.update(signup_login=login, signup_minutes=minutes, lang=language)
            return redirect("/signup/verify")
        # Auth names the e-mail or phone field; on this page both are the one "login" box.
        errors = field_errors(reply, texts, "login", _FIELDS)
        errors = {("login" if k in ("email", "phone") else k): v for k, v in errors.items()}
        status = 429 if reply.status == 429 else 422  # a wait is not a mistake in the form
    return pages.page(
        request, "signup.html", status, errors=errors, values=values, languages=LANGUAGES
    )


def _verify_page(
    request: Request,
    pages: Pages,
    session: Session,
    status: int = 200,
    errors: dict[str, str] | None = None,
) -> Response:
    return pages.page(
        request,
        "verify.html",
        status,
        errors=errors or {},
        where=mask_address(session.signup_login or ""),
        minutes=session.signup_minutes,
        here="/signup/verify",
    )


@router.get("/verify")
async def verify_page(request: Request, pages: Pages, session: Anyone) -> Response:
    if not session.signup_login:
        return redirect("/signup")
    return _verify_page(request, pages, session)


@router.post("/verify")
async def verify(
    request: Request, form: CheckedForm, pages: Pages, api: Api, session: Anyone
) -> Response:
    login = session.signup_login
    if not login:
        return redirect("/signup")
    code = text_of(form, "code").replace(" ", "")
    if not code:
        errors = {"code": pages.texts(request).error("required")}
        return _verify_page(request, pages, session, 422, errors)
    reply = await api.call(
        "auth", "POST", "/v1/sign-ups/confirm", json={"login": login, "code": code}
    )
    if not reply.ok:
        errors = field_errors(reply, pages.texts(request), "code", ("code",))
        return _verify_page(request, pages, session, 422, errors)
    session.update(notice="address_proven")  # signup_login stays: it fills in the login box
    return redirect("/login")


@router.post("/verify/resend")
async def resend(form: CheckedForm, api: Api, session: Anyone) -> Response:
    if not session.signup_login:
        return redirect("/signup")
    await resend_code(api, session, session.signup_login)
    session.update(notice="verify_resent")
    return redirect("/signup/verify")


async def resend_code(api: Backend, session: Session, login: str) -> None:
    """Ask for a new proof code (auth sends none within its cooldown, quietly)."""
    reply = await api.call("auth", "POST", "/v1/sign-ups/resend", json={"login": login})
    minutes = int(reply.data.get("code_valid_minutes", 0)) if reply.ok else 0
    session.update(signup_login=login, signup_minutes=minutes or None)
