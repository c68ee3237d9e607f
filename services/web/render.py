"""Server-rendered pages: Jinja2 with autoescaping, texts in the page's language."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, select_autoescape
from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse

from services.web.session import Session
from services.web.texts import ERRORS, TEXTS
from shared.dates import format_deadline

__all__ = ["LANGUAGES", "Renderer", "language_of", "redirect", "session_of"]

LANGUAGES = ("nb", "en")
_TEMPLATES = Path(__file__).parent / "templates"


def session_of(request: Request) -> Session:
    """The session the middleware opened for this request."""
    session: Session = request.state.session
    return session


def language_of(request: Request, default: str) -> str:
    """The session's language, else the browser's preference, else the configured default."""
    chosen = session_of(request).lang
    if chosen in LANGUAGES:
        return chosen
    for part in request.headers.get("accept-language", "").split(","):
        tag = part.split(";")[0].strip().lower()[:2]
        if tag in ("nb", "no", "nn"):
            return "nb"
        if tag == "en":
            return "en"
    return default


def redirect(path: str) -> RedirectResponse:
    """See other: after a POST, the browser GETs the next page (no resubmission on reload)."""
    return RedirectResponse(path, status_code=303)


class Texts:
    """The texts of one language, with the shop's name filled in."""

    def __init__(self, lang: str, shop: str) -> None:
        self.lang = lang
        self._index = LANGUAGES.index(lang)
        self._shop = shop

    def __call__(self, key: str, **values: Any) -> str:
        """The text ``key``; ``values`` fill its ``{placeholders}``."""
        pair = TEXTS.get(key) or ERRORS.get(key) or ERRORS["http_error"]
        return pair[self._index].format(shop=self._shop, **values)

    def when(self, instant: object, time_zone: str | None = None) -> str:
        """An ISO instant written for people (``1. desember 2026 kl. 20:37 UTC``); '' if none."""
        try:
            moment = datetime.fromisoformat(str(instant).replace("Z", "+00:00"))
        except ValueError:
            return ""
        return format_deadline(moment, "en" if self.lang == "en" else "nb", time_zone)

    def error(self, code: str | None, **extra: Any) -> str:
        """What an API error code means to a person."""
        pair = ERRORS.get(code or "http_error", ERRORS["http_error"])
        try:
            return pair[self._index].format(**extra)
        except (KeyError, IndexError):  # an answer without the extra the text mentions
            return ERRORS["http_error"][self._index]


class Renderer:
    """Renders a template with the session, the CSRF token and the page's language."""

    def __init__(self, shop: str, default_language: str) -> None:
        self.shop = shop
        self.default_language = default_language
        self._env = Environment(
            loader=FileSystemLoader(_TEMPLATES),
            autoescape=select_autoescape(default=True, default_for_string=True),
            trim_blocks=True,
            lstrip_blocks=True,
        )

    def texts(self, request: Request) -> Texts:
        """The texts in the request's language."""
        return Texts(language_of(request, self.default_language), self.shop)

    def page(
        self, request: Request, template: str, status: int = 200, **context: Any
    ) -> HTMLResponse:
        """The HTML response for ``template``."""
        session = session_of(request)
        texts = self.texts(request)
        here = context.pop("here", request.url.path)
        html = self._env.get_template(template).render(
            t=texts,
            lang=texts.lang,
            shop=self.shop,
            session=session,
            csrf=session.csrf,
            notice=session.take_notice(),
            here=here,
            errors=context.pop("errors", {}),
            **context,
        )
        return HTMLResponse(html, status_code=status)
