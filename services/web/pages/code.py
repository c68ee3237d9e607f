"""The last steps of deletion: the code (where it went, how long it is valid) and the final
message with the deadline, written as the e-mail writes it, in the person's time zone."""

from __future__ import annotations

import math
from datetime import datetime

from fastapi import APIRouter, Request
from starlette.responses import Response

from services.web.backend import Backend
from services.web.pages.common import (
    Anyone,
    Api,
    CheckedForm,
    Config,
    Pages,
    Person,
    Time,
    field_errors,
    text_of,
)
from services.web.pages.deletion import request_path
from services.web.render import Renderer, redirect
from services.web.session import Session
from shared.clock import Clock
from shared.dates import format_deadline

__all__ = ["router"]

router = APIRouter(prefix="/delete")


def _instant(text: object) -> datetime | None:
    try:
        return datetime.fromisoformat(str(text).replace("Z", "+00:00"))
    except ValueError:
        return None


async def _code_page(
    request: Request,
    pages: Renderer,
    api: Backend,
    clock: Clock,
    session: Session,
    status: int = 200,
    errors: dict[str, str] | None = None,
) -> Response:
    found = await api.call("deletion", "GET", request_path(session), token=session.token)
    expires = _instant(found.data.get("code_expires_at"))
    left = (expires - clock.now()).total_seconds() if expires else 0
    texts = pages.texts(request)
    where = session.code_to or texts("your_phone" if session.channel == "sms" else "your_email")
    return pages.page(
        request,
        "code.html",
        status,
        errors=errors or {},
        here="/delete/code",
        channel=session.channel,
        where=where,
        minutes=max(math.ceil(left / 60), 1) if expires else found.data.get("code_valid_minutes"),
        # The notifier's first try failed and it keeps trying (SMTP away, say): tell the person.
        delayed=found.ok and found.data.get("code_delayed") is True,
    )


@router.get("/code")
async def code_page(
    request: Request, pages: Pages, api: Api, clock: Time, session: Person
) -> Response:
    if not session.request_id:
        return redirect("/delete")
    return await _code_page(request, pages, api, clock, session)


@router.post("/code")
async def confirm(
    request: Request, form: CheckedForm, pages: Pages, api: Api, clock: Time, session: Person
) -> Response:
    code = text_of(form, "code").replace(" ", "")
    path = request_path(session, "/confirm")
    reply = await api.call(
        "deletion", "POST", path, token=session.token, json={"code": code or "-"}
    )
    if reply.ok:
        deadline, zone = str(reply.data.get("purge_deadline", "")), session.time_zone
        session.sign_out()  # the account can no longer be used; keep only the deadline
        session.update(purge_deadline=deadline, time_zone=zone)
        return redirect("/delete/done")
    errors = field_errors(reply, pages.texts(request), "code", ("code",))
    return await _code_page(request, pages, api, clock, session, 422, errors)


@router.post("/code/resend")
async def resend(
    request: Request, form: CheckedForm, pages: Pages, api: Api, clock: Time, session: Person
) -> Response:
    path = request_path(session, "/resend-code")
    reply = await api.call(
        "deletion", "POST", path, token=session.token, json={"channel": session.channel}
    )
    if reply.ok:
        session.update(notice="resent")
        return redirect("/delete/code")
    errors = field_errors(reply, pages.texts(request), "code", ("code",))
    return await _code_page(request, pages, api, clock, session, reply.status, errors)


@router.get("/done")
async def done(request: Request, pages: Pages, config: Config, session: Anyone) -> Response:
    moment = _instant(session.purge_deadline) if session.purge_deadline else None
    if moment is None:
        return redirect("/login")
    lang = pages.texts(request).lang
    deadline = format_deadline(moment, "en" if lang == "en" else "nb", session.time_zone)
    return pages.page(request, "done.html", deadline=deadline, shop_url=config.shop_url)
