"""Download my data: ask for the copy, see how it is going, download the zip (owner only).

The zip is passed through from deletion with the person's own token; nothing is kept here.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from starlette.responses import Response

from services.web.backend import Backend
from services.web.pages.common import Api, CheckedForm, Pages, Person
from services.web.render import Renderer, redirect
from services.web.session import Session

__all__ = ["holds_of", "router"]

# Under /export, not /account, whose ``/{kind}`` routes would take these paths.
router = APIRouter(prefix="/export")


async def holds_of(
    request: Request, pages: Renderer, api: Backend, session: Session
) -> list[dict[str, Any]]:
    """The person's active holds, in the page's language (for the consequences page)."""
    lang = pages.texts(request).lang
    reply = await api.call(
        "deletion", "GET", "/v1/holds", token=session.token, params={"lang": lang}
    )
    return list(reply.data.get("holds", [])) if reply.ok else []


@router.post("")
async def ask(
    request: Request, form: CheckedForm, pages: Pages, api: Api, session: Person
) -> Response:
    lang = pages.texts(request).lang
    reply = await api.call(
        "deletion", "POST", "/v1/exports", token=session.token, json={"lang": lang}
    )
    # One export at a time: asking again while one is prepared just shows that one.
    if not reply.ok and reply.error != "export_in_progress":
        session.update(notice=reply.error or "http_error")
    return redirect("/export")


@router.get("")
async def show(request: Request, pages: Pages, api: Api, session: Person) -> Response:
    reply = await api.call("deletion", "GET", "/v1/exports/latest", token=session.token)
    export = reply.data if reply.ok else None
    parts: dict[str, str] = dict(export.get("parts", {})) if export else {}
    missing = sorted(name for name, state in parts.items() if state != "delivered")
    return pages.page(
        request,
        "export.html",
        export=export,
        missing=missing,
        until=pages.texts(request).when(export.get("expires_at"), session.time_zone)
        if export
        else "",
    )


@router.get("/download")
async def download(api: Api, session: Person) -> Response:
    latest = await api.call("deletion", "GET", "/v1/exports/latest", token=session.token)
    if not latest.ok:
        return redirect("/export")
    export_id = str(latest.data["export_id"])
    path = f"/v1/exports/{export_id}/archive"
    reply = await api.call("deletion", "GET", path, token=session.token)
    if not reply.ok:
        session.update(notice=reply.error or "http_error")
        return redirect("/export")
    return Response(
        reply.content,
        media_type="application/zip",
        headers={
            "Content-Disposition": f'attachment; filename="data-{export_id[:8]}.zip"',
            "Cache-Control": "no-store",
        },
    )
