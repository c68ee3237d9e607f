"""The attack of issue 12, item 3: someone's failed web sign-ins (or sign-ups) must not lock
everyone else out. The web edge vouches for each person's own address (signed with the edge
key), so auth throttles the guesser's address, not the edge's — which every person shares.

Auth runs for real (its SQLite file, its broker); the web edge calls it in this process. Each
browser connects from an address of its own.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx

from services.auth.app import bootstrap as auth_app
from services.auth.config import Settings as AuthSettings
from services.web.app import bootstrap as web_app
from services.web.config import Settings as WebSettings
from shared.clock import FrozenClock
from shared.config import PlatformSettings
from shared.crypto import new_key
from tests.support.platform import Keys

PASSWORD = "the owner's own password"
OWNER = "owner@example.com"


@asynccontextmanager
async def _browser(web: httpx.AsyncBaseTransport) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(transport=web, base_url="https://shop.test") as client:
        yield client


def _csrf(page: httpx.Response) -> str:
    found = re.search(r'name="csrf" value="([^"]+)"', page.text)
    assert found, "the form carries no CSRF token"
    return found.group(1)


async def _sign_up(browser: httpx.AsyncClient, login: str) -> httpx.Response:
    csrf = _csrf(await browser.get("/signup"))
    form = {"login": login, "password": PASSWORD, "language": "en", "csrf": csrf}
    return await browser.post("/signup", data=form)


async def _sign_in(browser: httpx.AsyncClient, password: str) -> httpx.Response:
    page = await browser.get("/login")
    found = re.search(r'name="csrf" value="([^"]+)"', page.text)
    assert found, "the login form carries no CSRF token"
    form = {"login": OWNER, "password": password, "csrf": found.group(1)}
    return await browser.post("/login", data=form)


async def test_a_guessers_failed_web_logins_do_not_lock_out_the_owner(
    platform: PlatformSettings, keys: Keys, tmp_path: Path
) -> None:
    edge_key = new_key()
    # Behind the real clock: the web edge and auth share this one, the test moves it.
    clock = FrozenClock(datetime.now(UTC).replace(microsecond=0) - timedelta(days=1))
    auth = auth_app(
        AuthSettings(
            data_dir=tmp_path,
            platform=platform,
            token_signing_key=keys.signing_key,
            identifier_hmac_key=new_key(),
            edge_key=edge_key,
        ),
        clock=clock,
    )
    to_auth = httpx.ASGITransport(app=auth.api)
    web = web_app(
        WebSettings(
            session_key=new_key(),
            admin_token="operator-token-for-web-tests",
            auth_url="http://auth",
            default_language="en",
            edge_key=edge_key,
        ),
        clock=clock,
        mounts={"http://auth": to_auth},
    )
    guesser_side = httpx.ASGITransport(app=web.api, client=("203.0.113.66", 40000))
    owner_side = httpx.ASGITransport(app=web.api, client=("198.51.100.7", 40001))
    async with auth.runtime.running():
        async with httpx.AsyncClient(transport=to_auth, base_url="http://auth") as api:
            created = await api.post("/v1/accounts", json={"email": OWNER, "password": PASSWORD})
            assert created.status_code == 201, created.text
        statuses = []
        async with _browser(guesser_side) as guesser:
            for n in range(25):
                statuses.append((await _sign_in(guesser, f"guess number {n}")).status_code)
                clock.advance(1)
            assert 429 in statuses  # the guesser is throttled…
            assert (await _sign_in(guesser, PASSWORD)).status_code == 429
        async with _browser(owner_side) as owner:
            answer = await _sign_in(owner, PASSWORD)  # …the owner, elsewhere, is not
        await web.deps.backend.close()
    assert (answer.status_code, answer.headers.get("location")) == (303, "/account")


async def test_one_address_signing_up_again_and_again_holds_back_only_itself(
    platform: PlatformSettings, keys: Keys, tmp_path: Path
) -> None:
    edge_key = new_key()
    auth = auth_app(
        AuthSettings(
            data_dir=tmp_path,
            platform=platform,
            token_signing_key=keys.signing_key,
            identifier_hmac_key=new_key(),
            edge_key=edge_key,
            sign_up_address_limit=3,
        )
    )
    to_auth = httpx.ASGITransport(app=auth.api)
    web = web_app(
        WebSettings(
            session_key=new_key(),
            admin_token="operator-token-for-web-tests",
            auth_url="http://auth",
            default_language="en",
            edge_key=edge_key,
        ),
        mounts={"http://auth": to_auth},
    )
    spammer_side = httpx.ASGITransport(app=web.api, client=("203.0.113.66", 40000))
    person_side = httpx.ASGITransport(app=web.api, client=("198.51.100.7", 40001))
    async with auth.runtime.running():
        async with _browser(spammer_side) as spammer:
            answers = [
                (await _sign_up(spammer, f"stranger{n}@example.com")).status_code for n in range(5)
            ]
            refused = await _sign_up(spammer, "one-more@example.com")
        async with _browser(person_side) as person:
            own = await _sign_up(person, "person@example.com")
        await web.deps.backend.close()
    assert answers == [303, 303, 303, 429, 429]  # the fourth and on: wait
    assert "Too many sign-ups" in refused.text
    assert (own.status_code, own.headers.get("location")) == (303, "/signup/verify")
