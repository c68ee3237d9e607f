"""The terms of deletion, in the page's language, as the operator wrote them."""

from __future__ import annotations

from fastapi import APIRouter, Request
from starlette.responses import Response

from services.web.pages.common import Config, Pages

__all__ = ["router"]

router = APIRouter()


@router.get("/terms")
async def terms(request: Request, pages: Pages, config: Config) -> Response:
    lang = pages.texts(request).lang
    paragraphs = config.terms_text(lang).replace("{shop}", config.shop_name).split("\n\n")
    return pages.page(
        request, "terms.html", paragraphs=[p.strip() for p in paragraphs if p.strip()]
    )
