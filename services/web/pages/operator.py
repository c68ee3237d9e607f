"""The operator page: deletion requests by status, overdue participants, the survey's charts."""

from __future__ import annotations

import hmac
from collections import Counter
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Request
from starlette.responses import HTMLResponse, Response

from services.web.pages.common import CheckedForm, Deps, operator, text_of
from services.web.render import redirect, session_of
from services.web.session import Session

__all__ = ["build_router"]

Name = Annotated[str, Path(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_.-]+$")]
# The survey's own page is shown framed: no scripts, no forms, no network, only its own styles.
_REPORT_POLICY = (
    "default-src 'none'; style-src 'unsafe-inline'; img-src data:; frame-ancestors 'self'; sandbox"
)


def build_router(deps: Deps) -> APIRouter:
    """Routes of the operator area."""
    router = APIRouter(prefix="/operator")
    pages, backend, settings = deps.renderer, deps.backend, deps.settings
    Operator = Depends(operator)  # noqa: N806  # a dependency, named like the role it guards

    def deletion_admin() -> dict[str, Any]:
        return {"token": settings.deletion_admin_token.get_secret_value(), "operator": True}

    @router.get("/login")
    async def login_page(request: Request) -> Response:
        return pages.page(request, "operator_login.html")

    @router.post("/login")
    async def login(request: Request, form: CheckedForm) -> Response:
        given = text_of(form, "token").encode()
        expected = settings.admin_token.get_secret_value().encode()
        if not hmac.compare_digest(given, expected):
            errors = {"token": pages.texts(request).error("operator_token")}
            return pages.page(request, "operator_login.html", 401, errors=errors)
        session = session_of(request)
        session.sign_out()  # a new CSRF token for the new role
        session.update(operator=True, issued_at=deps.clock.now().timestamp())
        return redirect("/operator")

    @router.post("/logout")
    async def logout(request: Request, form: CheckedForm) -> Response:
        session_of(request).sign_out()
        return redirect("/operator/login")

    @router.get("")
    async def overview(request: Request, status: str = "", _: Session = Operator) -> Response:
        reply = await backend.call("deletion", "GET", "/v1/admin/requests", **deletion_admin())
        requests: list[dict[str, Any]] = list(reply.data.get("requests", [])) if reply.ok else []
        counts = Counter(str(item.get("status")) for item in requests)
        shown = [item for item in requests if not status or item.get("status") == status]
        overdue = [item for item in requests if item.get("overdue")]
        return pages.page(
            request,
            "operator.html",
            available=reply.ok,
            counts=sorted(counts.items()),
            requests=shown,
            overdue=overdue,
            selected=status,
        )

    @router.get("/survey-report")
    async def survey_report(_: Session = Operator) -> Response:
        token = settings.survey_admin_token.get_secret_value()
        reply = await backend.call(
            "survey", "GET", "/v1/reports/summary.html", token=token, operator=True
        )
        body = reply.content if reply.ok else b"<!doctype html><p>-</p>"
        headers = {"Content-Security-Policy": _REPORT_POLICY, "X-Frame-Options": "SAMEORIGIN"}
        return HTMLResponse(body, status_code=200 if reply.ok else 502, headers=headers)

    @router.post("/requests/{request_id}/participants/{name}/resend")
    async def resend(
        request: Request, request_id: Name, name: Name, form: CheckedForm, _: Session = Operator
    ) -> Response:
        path = f"/v1/admin/requests/{request_id}/participants/{name}/resend"
        reply = await backend.call("deletion", "POST", path, **deletion_admin())
        session_of(request).update(notice="purge_resent" if reply.ok else reply.error)
        return redirect("/operator")

    return router
