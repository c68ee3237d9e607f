"""The operator page: deletion requests by status, overdue participants, holds, survey charts."""

from __future__ import annotations

import hmac
from collections import Counter
from typing import Annotated, Any

from fastapi import APIRouter, Path, Request
from starlette.responses import HTMLResponse, Response

from services.web.config import Settings
from services.web.pages.common import (
    Anyone,
    Api,
    CheckedForm,
    Config,
    Operators,
    OperatorSession,
    Pages,
    Time,
    text_of,
)
from services.web.render import redirect

__all__ = ["router"]

router = APIRouter(prefix="/operator")

Name = Annotated[str, Path(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_.-]+$")]
# The survey's own page is shown framed: no scripts, no forms, no network, only its own styles.
_REPORT_POLICY = (
    "default-src 'none'; style-src 'unsafe-inline'; img-src data:; frame-ancestors 'self'; sandbox"
)


def _deletion_admin(settings: Settings) -> dict[str, Any]:
    return {"token": settings.deletion_admin_token.get_secret_value(), "operator": True}


@router.get("/login")
async def login_page(request: Request, pages: Pages) -> Response:
    return pages.page(request, "operator_login.html")


@router.post("/login")
async def login(
    request: Request,
    form: CheckedForm,
    pages: Pages,
    config: Config,
    clock: Time,
    session: Anyone,
    operators: Operators,
) -> Response:
    given = text_of(form, "token").encode()
    if not hmac.compare_digest(given, config.admin_token.get_secret_value().encode()):
        errors = {"token": pages.texts(request).error("operator_token")}
        return pages.page(request, "operator_login.html", 401, errors=errors)
    session.sign_out()  # a new CSRF token for the new role
    session.update(operator=True, operator_id=operators.start(), issued_at=clock.now().timestamp())
    return redirect("/operator")


@router.post("/logout")
async def logout(form: CheckedForm, session: Anyone, operators: Operators) -> Response:
    operators.end(session.operator_id)  # every copy of the cookie stops working too
    session.sign_out()
    return redirect("/operator/login")


@router.get("")
async def overview(
    request: Request, pages: Pages, api: Api, config: Config, _: OperatorSession, status: str = ""
) -> Response:
    reply = await api.call("deletion", "GET", "/v1/admin/requests", **_deletion_admin(config))
    requests: list[dict[str, Any]] = list(reply.data.get("requests", [])) if reply.ok else []
    counts = Counter(str(item.get("status")) for item in requests)
    shown = [item for item in requests if not status or item.get("status") == status]
    held = await api.call("deletion", "GET", "/v1/admin/holds", **_deletion_admin(config))
    return pages.page(
        request,
        "operator.html",
        available=reply.ok,
        counts=sorted(counts.items()),
        requests=shown,
        overdue=[item for item in requests if item.get("overdue")],
        holds=list(held.data.get("holds", [])) if held.ok else [],
        selected=status,
    )


@router.get("/survey-report")
async def survey_report(
    request: Request, pages: Pages, api: Api, config: Config, _: OperatorSession
) -> Response:
    token = config.survey_admin_token.get_secret_value()
    lang = pages.texts(request).lang
    reply = await api.call(
        "survey",
        "GET",
        "/v1/reports/summary.html",
        token=token,
        operator=True,
        params={"lang": lang},
    )
    body = reply.content if reply.ok else b"<!doctype html><p>-</p>"
    headers = {"Content-Security-Policy": _REPORT_POLICY, "X-Frame-Options": "SAMEORIGIN"}
    return HTMLResponse(body, status_code=200 if reply.ok else 502, headers=headers)


@router.post("/requests/{request_id}/participants/{name}/resend")
async def resend(
    request_id: Name,
    name: Name,
    form: CheckedForm,
    api: Api,
    config: Config,
    session: OperatorSession,
) -> Response:
    path = f"/v1/admin/requests/{request_id}/participants/{name}/resend"
    reply = await api.call("deletion", "POST", path, **_deletion_admin(config))
    session.update(notice="purge_resent" if reply.ok else reply.error)
    return redirect("/operator")
