"""Operator sign-out ends the operator session on the server: a copy of the cookie taken
before the sign-out no longer opens the operator pages."""

from __future__ import annotations

import re

import httpx

from devstack.broker import free_port
from services.web.app import bootstrap
from services.web.config import Settings
from shared.crypto import new_key

TOKEN = "operator-token-for-logout-tests"


def _csrf(html: str) -> str:
    found = re.search(r'name="csrf" value="([^"]+)"', html)
    assert found, "the form carries no CSRF token"
    return found.group(1)


async def test_a_copied_operator_cookie_stops_working_at_sign_out() -> None:
    nowhere = f"http://127.0.0.1:{free_port()}"  # the operator API is not needed to tell
    settings = Settings(
        session_key=new_key(),
        admin_token=TOKEN,
        auth_url=nowhere,
        deletion_url=nowhere,
        survey_url=nowhere,
        default_language="en",
    )
    service = bootstrap(settings)
    transport = httpx.ASGITransport(app=service.api)
    async with httpx.AsyncClient(transport=transport, base_url="https://shop.test") as browser:
        csrf = _csrf((await browser.get("/operator/login")).text)
        signed_in = await browser.post("/operator/login", data={"token": TOKEN, "csrf": csrf})
        assert signed_in.headers["location"] == "/operator"
        stolen = dict(browser.cookies)  # what an attacker copied while the operator worked

        # Signed in: the guard lets the page through (it then finds the API unreachable).
        assert (await browser.get("/operator")).status_code == 503
        page = await browser.get("/operator/login")
        await browser.post("/operator/logout", data={"csrf": _csrf(page.text)})

    async with httpx.AsyncClient(
        transport=transport, base_url="https://shop.test", cookies=stolen
    ) as attacker:
        replayed = await attacker.get("/operator")
        report = await attacker.get("/operator/survey-report")
    assert (replayed.status_code, replayed.headers["location"]) == (303, "/operator/login")
    assert (report.status_code, report.headers["location"]) == (303, "/operator/login")
    await service.deps.backend.close()
