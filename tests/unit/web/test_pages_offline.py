"""The web edge's own guarantees, checked without any other service running: headers,
cookie flags, CSRF refusal, language choice and the brand stylesheet."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator

import httpx
import pytest

from devstack.broker import free_port
from services.web.app import bootstrap
from services.web.config import Settings
from shared.crypto import new_key

CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "frame-ancestors 'none'; form-action 'self'"
)


def _settings(secure: bool) -> Settings:
    nowhere = f"http://127.0.0.1:{free_port()}"  # nothing listens: no page here needs an API
    return Settings(
        session_key=new_key(),
        admin_token="operator-token-for-tests",
        cookie_secure=secure,
        auth_url=nowhere,
        deletion_url=nowhere,
        survey_url=nowhere,
        shop_name="Fjellbutikken",
        brand_color="#AA3300",
        default_language="en",
    )


async def _client(secure: bool) -> AsyncIterator[httpx.AsyncClient]:
    service = bootstrap(_settings(secure))
    transport = httpx.ASGITransport(app=service.api)
    async with httpx.AsyncClient(transport=transport, base_url="https://shop.test") as client:
        yield client
    await service.deps.backend.close()


@pytest.fixture
async def web() -> AsyncIterator[httpx.AsyncClient]:
    async for client in _client(secure=True):
        yield client


def _csrf(html: str) -> str:
    found = re.search(r'name="csrf" value="([^"]+)"', html)
    assert found, "the form carries no CSRF token"
    return found.group(1)


async def test_every_page_carries_the_security_headers(web: httpx.AsyncClient) -> None:
    page = await web.get("/login")
    assert page.status_code == 200
    assert page.headers["content-security-policy"].startswith(CSP)
    assert page.headers["x-content-type-options"] == "nosniff"
    assert page.headers["x-frame-options"] == "DENY"
    assert page.headers["cache-control"] == "no-store"


async def test_pages_have_no_inline_script_or_style_and_nothing_external(
    web: httpx.AsyncClient,
) -> None:
    for path in ("/login", "/password-reset", "/password-reset/confirm", "/operator/login"):
        html = (await web.get(path)).text
        assert not re.search(r"<script(?![^>]*\bsrc=)", html), path
        assert not re.search(r"<style|\sstyle=|\son[a-z]+=", html), path
        assert not re.search(r"(src|href)=\"(https?:)?//", html), path


async def test_the_session_cookie_is_httponly_secure_and_same_site_lax(
    web: httpx.AsyncClient,
) -> None:
    page = await web.get("/login")
    cookie = page.headers["set-cookie"]
    assert cookie.startswith("__Host-adieu_session=")
    assert "HttpOnly" in cookie
    assert "Secure" in cookie
    assert "SameSite=lax" in cookie or "SameSite=Lax" in cookie
    assert "Path=/" in cookie


async def test_without_https_the_cookie_can_be_configured_not_secure() -> None:
    async for client in _client(secure=False):
        cookie = (await client.get("/login")).headers["set-cookie"]
        assert cookie.startswith("adieu_session=")
        assert "Secure" not in cookie
        assert "HttpOnly" in cookie


async def test_a_form_without_the_csrf_token_is_refused(web: httpx.AsyncClient) -> None:
    await web.get("/login")  # the session (and its token) exist, but the form omits it
    missing = await web.post("/login", data={"login": "a@example.com", "password": "pw"})
    assert missing.status_code == 403
    assert "The form has expired" in missing.text
    wrong = await web.post(
        "/login", data={"login": "a@example.com", "password": "pw", "csrf": "guessed"}
    )
    assert wrong.status_code == 403
    for path in ("/logout", "/delete", "/account/break", "/operator/login"):
        assert (await web.post(path, data={})).status_code in (403, 303), path


async def test_a_form_from_another_browser_session_is_refused(web: httpx.AsyncClient) -> None:
    token = _csrf((await web.get("/login")).text)
    web.cookies.clear()
    stolen = await web.post("/login", data={"login": "a@b.no", "password": "x", "csrf": token})
    assert stolen.status_code == 403


async def test_empty_fields_are_named_next_to_the_field(web: httpx.AsyncClient) -> None:
    token = _csrf((await web.get("/login")).text)
    answer = await web.post("/login", data={"login": "", "password": "", "csrf": token})
    assert answer.status_code == 422
    for name in ("login", "password"):
        assert f'aria-describedby="e-{name}"' in answer.text
        assert re.search(rf'id="e-{name}">Please fill in this field\.<', answer.text)


async def test_the_language_switch_and_the_labels(web: httpx.AsyncClient) -> None:
    english = await web.get("/login")
    assert '<html lang="en">' in english.text
    assert '<label for="f-login">E-mail or phone number</label>' in english.text
    assert 'id="f-login"' in english.text
    norsk = await web.get("/login?lang=nb")
    assert '<html lang="nb">' in norsk.text
    assert '<label for="f-login">E-post eller telefonnummer</label>' in norsk.text
    assert "Glemt passordet?" in (await web.get("/login")).text  # remembered


async def test_the_brand_comes_from_configuration(web: httpx.AsyncClient) -> None:
    assert "Fjellbutikken" in (await web.get("/login")).text
    css = await web.get("/brand.css")
    assert css.headers["content-type"].startswith("text/css")
    assert "--brand: #aa3300;" in css.text
    assert (await web.get("/static/consent.js")).status_code == 200


async def test_pages_need_a_session(web: httpx.AsyncClient) -> None:
    for path, target in (("/account", "/login"), ("/delete", "/login"), ("/", "/login")):
        answer = await web.get(path)
        assert (answer.status_code, answer.headers["location"]) == (303, target), path
    operator = await web.get("/operator")
    assert operator.headers["location"] == "/operator/login"


async def test_a_wrong_operator_token_is_refused(web: httpx.AsyncClient) -> None:
    token = _csrf((await web.get("/operator/login")).text)
    answer = await web.post("/operator/login", data={"token": "nope", "csrf": token})
    assert answer.status_code == 401
    assert 'id="e-token"' in answer.text


async def test_an_api_that_does_not_answer_is_a_clear_page(web: httpx.AsyncClient) -> None:
    token = _csrf((await web.get("/login")).text)
    answer = await web.post("/login", data={"login": "a@b.no", "password": "x", "csrf": token})
    assert answer.status_code == 503
    assert "Please try again in a moment." in answer.text
