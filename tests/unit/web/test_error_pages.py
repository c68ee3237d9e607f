"""Unknown URLs, wrong methods and failures answer HTML pages in the person's language."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
from fastapi import APIRouter

from devstack.broker import free_port
from services.web.app import bootstrap
from services.web.config import Settings
from shared.crypto import new_key


@pytest.fixture
async def web() -> AsyncIterator[httpx.AsyncClient]:
    nowhere = f"http://127.0.0.1:{free_port()}"
    settings = Settings(
        session_key=new_key(),
        admin_token="operator-token-for-tests",
        auth_url=nowhere,
        deletion_url=nowhere,
        survey_url=nowhere,
        shop_name="Fjellbutikken",
    )
    service = bootstrap(settings)
    broken = APIRouter()

    @broken.get("/broken")
    async def fail() -> None:
        raise RuntimeError("a bug")

    service.api.include_router(broken)
    transport = httpx.ASGITransport(app=service.api, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="https://shop.test") as client:
        yield client
    await service.deps.backend.close()


@pytest.mark.parametrize(
    ("path", "method", "status", "nb", "en"),
    [
        ("/register", "GET", 404, "Siden finnes ikke", "Page not found"),
        ("/static/nothing.css", "GET", 404, "Siden finnes ikke", "Page not found"),
        ("/login", "DELETE", 405, "Dette går ikke her", "That does not work here"),
        ("/broken", "GET", 500, "Noe gikk galt", "Something went wrong"),
    ],
)
async def test_errors_are_pages_in_the_persons_language(
    web: httpx.AsyncClient, path: str, method: str, status: int, nb: str, en: str
) -> None:
    for lang, title in (("nb", nb), ("en", en)):
        answer = await web.request(method, path, headers={"Accept-Language": lang})
        assert answer.status_code == status
        assert answer.headers["content-type"].startswith("text/html")
        assert f'<html lang="{lang}">' in answer.text
        assert f"<h1>{title}</h1>" in answer.text
        assert "Fjellbutikken" in answer.text
        assert "detail" not in answer.text  # never the framework's JSON
        assert answer.headers["X-Frame-Options"] == "DENY"  # even a failure has the headers


async def test_there_is_a_favicon(web: httpx.AsyncClient) -> None:
    answer = await web.get("/favicon.ico", follow_redirects=True)
    assert answer.status_code == 200
    assert answer.headers["content-type"].startswith("image/svg+xml")
    assert answer.text.startswith("<svg")
    assert 'rel="icon"' in (await web.get("/login")).text


async def test_the_terms_are_the_operators_text(web: httpx.AsyncClient) -> None:
    page = await web.get("/terms?lang=nb")
    assert page.status_code == 200
    assert "Når du sletter kontoen din hos Fjellbutikken" in page.text
    english = await web.get("/terms?lang=en")
    assert "When you delete your account with Fjellbutikken" in english.text


def test_a_terms_directory_needs_both_languages(tmp_path: Path) -> None:
    directory = tmp_path
    (directory / "nb.txt").write_text("Vilkår for {shop}.", encoding="utf-8")
    with pytest.raises(ValueError, match=r"en\.txt"):
        Settings(session_key=new_key(), admin_token="operator-token-for-tests", terms_dir=directory)
    (directory / "en.txt").write_text("Terms of {shop}.", encoding="utf-8")
    settings = Settings(
        session_key=new_key(), admin_token="operator-token-for-tests", terms_dir=directory
    )
    assert settings.terms_text("en") == "Terms of {shop}."
