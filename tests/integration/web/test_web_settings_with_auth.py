"""Forgot password and the account settings page, driven as a browser would, in front of the
real auth, deletion and survey (in this process, on the real broker and SQLite files).

One set of services runs for the whole module; each test keeps apart with an account of its
own and a browser (cookie jar) of its own. Codes are read where the notifier would read them:
from CodeDeliveryRequested on the notifications topic, opened with the account's key (the test
issues it, as the notifier does when it learns of an account).
"""

from __future__ import annotations

import io
import re
import uuid
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
import pytest_asyncio
from PIL import Image

from devstack.broker import free_port
from services.auth.app import bootstrap as auth_app
from services.auth.config import Settings as AuthSettings
from services.deletion.app import bootstrap as deletion_app
from services.deletion.config import Settings as DeletionSettings
from services.survey.app import bootstrap as survey_app
from services.survey.config import Settings as SurveySettings
from services.web.app import Service as Web
from services.web.app import bootstrap as web_app
from services.web.config import Settings as WebSettings
from shared.clock import FrozenClock
from shared.config import PlatformSettings
from shared.crypto import new_key
from shared.events import CodeDeliveryRequested
from tests.support.account_keys import AccountKeys
from tests.support.brokers import BrokerUnderTest
from tests.support.kafka import read_events
from tests.support.platform import new_keys, platform_settings
from tests.support.polling import eventually

pytestmark = pytest.mark.asyncio(loop_scope="module")

PASSWORD = "a long enough password"
NEW_PASSWORD = "another long enough password"
UPSTREAMS = ("auth", "deletion", "survey")
PICTURE_MAX_BYTES = 64 * 1024  # auth's limit, small here so a too large file is quick to send


@dataclass
class Stack:
    """The running services and what a test needs to reach them."""

    auth: httpx.AsyncClient
    platform: PlatformSettings
    cipher: AccountKeys
    mounts: dict[str, httpx.AsyncBaseTransport]
    web: Web
    clock: FrozenClock


@dataclass
class Browser:
    """One person's browser: a cookie jar, forms with their CSRF token, pages in English."""

    client: httpx.AsyncClient

    async def get(self, path: str) -> httpx.Response:
        return await self.client.get(path)

    async def csrf(self, path: str) -> str:
        page = await self.client.get(path)
        assert page.status_code == 200, page.text
        found = re.search(r'name="csrf" value="([^"]+)"', page.text)
        assert found, f"no CSRF token on {path}"
        return found.group(1)

    async def post(
        self, path: str, form: dict[str, str], page: str, files: dict[str, Any] | None = None
    ) -> httpx.Response:
        data = {**form, "csrf": await self.csrf(page)}
        return await self.client.post(path, data=data, files=files)

    async def sign_in(self, login: str, password: str = PASSWORD) -> httpx.Response:
        return await self.post("/login", {"login": login, "password": password}, "/login")


def _module_platform(broker: BrokerUnderTest) -> tuple[PlatformSettings, str]:
    """Platform settings with topics of this module's own, and the token signing key."""
    keys = new_keys()
    return platform_settings(broker, keys), keys.signing_key


def _web(auth_url: str, mounts: dict[str, httpx.AsyncBaseTransport], clock: FrozenClock) -> Web:
    settings = WebSettings(
        session_key=new_key(),
        admin_token="operator-token-for-web-tests",
        auth_url=auth_url,
        deletion_url="http://deletion",
        survey_url="http://survey",
        default_language="en",
    )
    return web_app(settings, clock=clock, mounts=mounts)


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def stack(
    broker: BrokerUnderTest, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[Stack]:
    platform, signing = _module_platform(broker)
    data = tmp_path_factory.mktemp("web-settings")
    # Behind the real clock: PyJWT checks `iat` against the machine's clock, not ours.
    clock = FrozenClock(datetime.now(UTC).replace(microsecond=0) - timedelta(days=1))
    auth = auth_app(
        AuthSettings(
            data_dir=data,
            platform=platform,
            token_signing_key=signing,
            identifier_hmac_key=new_key(),
            picture_max_bytes=PICTURE_MAX_BYTES,
        ),
        clock=clock,
    )
    deletion = deletion_app(
        DeletionSettings(
            data_dir=data, platform=platform, hmac_key=new_key(), admin_token="x" * 32
        ),
        clock=clock,
    )
    survey = survey_app(SurveySettings(data_dir=data, platform=platform), clock=clock)
    services: dict[str, Any] = {"auth": auth, "deletion": deletion, "survey": survey}
    mounts: dict[str, httpx.AsyncBaseTransport] = {
        f"http://{name}": httpx.ASGITransport(app=service.api) for name, service in services.items()
    }
    web = _web("http://auth", mounts, clock)
    cipher = AccountKeys()
    async with AsyncExitStack() as running:
        for service in services.values():
            await running.enter_async_context(service.runtime.running())
        client = httpx.AsyncClient(transport=mounts["http://auth"], base_url="http://auth")
        running.push_async_callback(client.aclose)
        running.push_async_callback(web.deps.backend.close)
        yield Stack(client, platform, cipher, mounts, web, clock)


@asynccontextmanager
async def _browser_of(web: Web) -> AsyncIterator[Browser]:
    transport = httpx.ASGITransport(app=web.api)
    async with httpx.AsyncClient(transport=transport, base_url="https://shop.test") as client:
        yield Browser(client)


@pytest_asyncio.fixture(loop_scope="module")
async def browser(stack: Stack) -> AsyncIterator[Browser]:
    async with _browser_of(stack.web) as opened:
        yield opened


async def _register(stack: Stack, email: str, **extra: str) -> str:
    body = {"email": email, "password": PASSWORD, "language": "en", **extra}
    answer = await stack.auth.post("/v1/accounts", json=body)
    assert answer.status_code == 201, answer.text
    account_id = str(answer.json()["account_id"])
    topic = stack.platform.topics.notifier_events
    await stack.cipher.announce(stack.platform.kafka_bootstrap, topic, account_id)
    return account_id


async def _signed_in(stack: Stack, browser: Browser, **extra: str) -> tuple[str, str]:
    """A fresh account, signed in in ``browser``: (e-mail, account id)."""
    email = f"p{uuid.uuid4().hex[:8]}@example.com"
    account_id = await _register(stack, email, **extra)
    answer = await browser.sign_in(email)
    assert (answer.status_code, answer.headers["location"]) == (303, "/account")
    return email, account_id


async def _token(stack: Stack, login: str, password: str = PASSWORD) -> str:
    answer = await stack.auth.post("/v1/sessions", json={"login": login, "password": password})
    assert answer.status_code == 201, answer.text
    return str(answer.json()["access_token"])


async def _me(stack: Stack, login: str, password: str = PASSWORD) -> dict[str, Any]:
    """What auth holds for the account, read with a session of its own."""
    token = await _token(stack, login, password)
    answer = await stack.auth.get("/v1/me", headers={"Authorization": f"Bearer {token}"})
    assert answer.status_code == 200, answer.text
    found: dict[str, Any] = answer.json()
    return found


async def _code(stack: Stack, account_id: str, purpose: str) -> tuple[str, str | None]:
    """The latest code of ``purpose`` sent for the account, and where it goes (if not known)."""

    async def sent() -> CodeDeliveryRequested | None:
        events = await read_events(
            stack.platform.kafka_bootstrap, stack.platform.topics.notifications
        )
        codes = [
            e
            for e in events
            if isinstance(e, CodeDeliveryRequested)
            and e.account_id == account_id
            and e.payload.purpose == purpose
        ]
        return codes[-1] if codes else None

    event = await eventually(sent, what=f"a {purpose} code")
    code = stack.cipher.decrypt(event.payload.code_enc, context=account_id)
    sealed = event.payload.destination_enc
    destination = None if sealed is None else stack.cipher.decrypt(sealed, context=account_id)
    return code, destination


def _other_than(code: str) -> str:
    return "000000" if code != "000000" else "111111"


def _error(page: httpx.Response, field: str) -> str:
    found = re.search(rf'<p class="error" id="e-{field}">([^<]*)</p>', page.text)
    assert found, f"no error next to {field}"
    return found.group(1)


def _notice(page: httpx.Response) -> str:
    found = re.search(r'<p class="notice" role="status">([^<]*)</p>', page.text)
    assert found, "no notice on the page"
    return found.group(1)


def _checked(page: httpx.Response) -> set[str]:
    return set(re.findall(r'name="pref_(\w+)" checked', page.text))


def _png() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (40, 30), (10, 120, 200)).save(out, format="PNG")
    return out.getvalue()


async def test_forgot_password_code_new_password_and_sign_in(
    stack: Stack, browser: Browser
) -> None:
    email = f"r{uuid.uuid4().hex[:8]}@example.com"
    account_id = await _register(stack, email)
    nobody = await browser.post(
        "/password-reset", {"login": "nobody@example.com", "channel": "email"}, "/password-reset"
    )
    sent = await browser.post(
        "/password-reset", {"login": email, "channel": "email"}, "/password-reset"
    )
    assert (nobody.status_code, sent.status_code) == (200, 200)
    assert _notice(nobody) == _notice(sent)  # no hint of who has an account
    assert f'name="login" type="text" value="{email}"' in sent.text

    code, _ = await _code(stack, account_id, "password_reset")
    confirm = {"login": email, "code": _other_than(code), "new_password": NEW_PASSWORD}
    wrong = await browser.post("/password-reset/confirm", confirm, "/password-reset/confirm")
    assert wrong.status_code == 422
    assert _error(wrong, "code") == "The code is not right. You have 4 tries left."
    short = {**confirm, "code": code, "new_password": "short"}
    weak = await browser.post("/password-reset/confirm", short, "/password-reset/confirm")
    assert _error(weak, "new_password")
    done = await browser.post(
        "/password-reset/confirm", {**confirm, "code": code}, "/password-reset/confirm"
    )
    assert (done.status_code, done.headers["location"]) == (303, "/login")
    told = await browser.get("/login")
    assert _notice(told) == "Your password has been changed. Sign in with the new one."

    old = await browser.sign_in(email, PASSWORD)
    assert _error(old, "password") == "The password is not correct."
    new = await browser.sign_in(email, NEW_PASSWORD)
    assert (new.status_code, new.headers["location"]) == (303, "/account")


async def test_take_a_break_turns_every_notification_and_ad_off(
    stack: Stack, browser: Browser
) -> None:
    email, _ = await _signed_in(stack, browser)
    chosen = {"pref_email": "on", "pref_marketing": "on", "pref_ads": "on"}
    saved = await browser.post("/account/notifications", chosen, "/account")
    assert (saved.status_code, saved.headers["location"]) == (303, "/account#break")
    assert _checked(await browser.get("/account")) == {"email", "marketing", "ads"}
    wanted = {"email": True, "sms": False, "push": False, "marketing": True, "ads": True}
    assert (await _me(stack, email))["notifications"] == wanted

    rested = await browser.post("/account/break", {}, "/account")
    assert rested.headers["location"] == "/account#break"
    page = await browser.get("/account")
    assert _notice(page) == "Every notification and all ads are off."
    assert _checked(page) == set()
    assert not any((await _me(stack, email))["notifications"].values())


async def test_username_and_language_change(stack: Stack, browser: Browser) -> None:
    taken = f"ola{uuid.uuid4().hex[:6]}"
    await _register(stack, f"{taken}@example.com", username=taken)
    email, _ = await _signed_in(stack, browser)
    name = f"kari{uuid.uuid4().hex[:6]}"
    changed = await browser.post(
        "/account/profile", {"username": name, "language": "nb"}, "/account"
    )
    assert changed.headers["location"] == "/account#profile"
    page = await browser.get("/account")
    assert '<html lang="nb">' in page.text
    assert _notice(page) == "Lagret."
    assert f'name="username" type="text" value="{name}"' in page.text
    me = await _me(stack, email)
    assert (me["username"], me["language"]) == (name, "nb")

    clash = await browser.post(
        "/account/profile", {"username": taken.upper(), "language": "nb"}, "/account"
    )
    assert clash.status_code == 422
    assert _error(clash, "username") == "Brukernavnet er tatt."
    assert (await _me(stack, email))["username"] == name


async def test_picture_upload_shows_it_and_refuses_what_is_not_a_picture(
    stack: Stack, browser: Browser
) -> None:
    email, _ = await _signed_in(stack, browser)
    uploaded = await browser.post(
        "/account/picture", {}, "/account", files={"picture": ("me.png", _png(), "image/png")}
    )
    assert (uploaded.status_code, uploaded.headers["location"]) == (303, "/account#picture")
    page = await browser.get("/account")
    assert '<img class="avatar" src="/account/picture"' in page.text
    shown = await browser.get("/account/picture")
    assert shown.headers["content-type"] == "image/png"
    assert Image.open(io.BytesIO(shown.content)).size == (40, 30)
    assert (await _me(stack, email))["has_picture"] is True

    text = ("notes.txt", b"not a picture", "text/plain")
    refused = await browser.post("/account/picture", {}, "/account", files={"picture": text})
    assert refused.status_code == 415
    assert _error(refused, "picture") == "The picture must be PNG, JPEG or WebP."
    disguised = ("fake.png", b"not a picture either", "image/png")
    checked = await browser.post("/account/picture", {}, "/account", files={"picture": disguised})
    assert checked.status_code == 422
    assert _error(checked, "picture") == "The file is not a usable picture."
    huge = ("huge.png", b"\0" * (PICTURE_MAX_BYTES + 1), "image/png")
    too_large = await browser.post("/account/picture", {}, "/account", files={"picture": huge})
    assert _error(too_large, "picture") == "The picture is too large."

    removed = await browser.post("/account/picture/delete", {}, "/account")
    assert removed.headers["location"] == "/account#picture"
    assert (await browser.get("/account/picture")).status_code == 404
    assert (await _me(stack, email))["has_picture"] is False


async def test_password_change_needs_the_current_one_and_signs_out(
    stack: Stack, browser: Browser
) -> None:
    email, _ = await _signed_in(stack, browser)
    elsewhere = await _token(stack, email)
    # Revocation has whole-second precision: a token of the very second of the change lives on.
    stack.clock.advance(1)
    change = {"current_password": "not my password", "new_password": NEW_PASSWORD}
    refused = await browser.post("/account/password", change, "/account")
    assert refused.status_code == 422
    assert _error(refused, "current_password") == "The password is not correct."
    assert (await browser.get("/account")).status_code == 200  # still signed in

    change["current_password"] = PASSWORD
    changed = await browser.post("/account/password", change, "/account")
    assert (changed.status_code, changed.headers["location"]) == (303, "/login")
    told = await browser.get("/login")
    assert _notice(told).startswith("Your password has been changed and you are signed out")
    assert (await browser.get("/account")).headers["location"] == "/login"
    revoked = await stack.auth.get("/v1/me", headers={"Authorization": f"Bearer {elsewhere}"})
    assert (revoked.status_code, revoked.json()["error"]) == (401, "session_revoked")
    assert _error(await browser.sign_in(email), "password") == "The password is not correct."
    again = await browser.sign_in(email, NEW_PASSWORD)
    assert again.headers["location"] == "/account"


async def test_email_change_needs_the_code_sent_to_the_new_address(
    stack: Stack, browser: Browser
) -> None:
    email, account_id = await _signed_in(stack, browser)
    taken = f"t{uuid.uuid4().hex[:8]}@example.com"
    await _register(stack, taken)
    clash = await browser.post("/account/email", {"email": taken}, "/account")
    assert _error(clash, "email") == "This address is already in use."

    new = f"n{uuid.uuid4().hex[:8]}@example.com"
    asked = await browser.post("/account/email", {"email": new}, "/account")
    assert asked.headers["location"] == "/account#email"
    page = await browser.get("/account")
    assert _notice(page).startswith("We have sent a code to the new address")
    assert 'action="/account/email/confirm"' in page.text
    code, destination = await _code(stack, account_id, "contact_change")
    assert destination == new
    assert (await _me(stack, email))["email"] == email  # nothing changes before the code

    form = {"email_code": _other_than(code)}
    wrong = await browser.post("/account/email/confirm", form, "/account")
    assert wrong.status_code == 422
    assert _error(wrong, "email_code") == "The code is not right. You have 4 tries left."
    confirmed = await browser.post("/account/email/confirm", {"email_code": code}, "/account")
    assert confirmed.headers["location"] == "/account#email"
    page = await browser.get("/account")
    assert f"Now: {new}" in page.text
    assert 'action="/account/email/confirm"' not in page.text
    assert (await _me(stack, new))["email"] == new


async def test_phone_change_is_confirmed_with_the_code_by_text_message(
    stack: Stack, browser: Browser
) -> None:
    email, account_id = await _signed_in(stack, browser)
    number = f"+47 41{uuid.uuid4().int % 10**6:06d}"  # a mobile range that exists
    asked = await browser.post("/account/phone", {"phone": number}, "/account")
    assert asked.status_code == 303, re.findall(r'class="error"[^<]*<', asked.text)
    assert asked.headers["location"] == "/account#phone"
    code, destination = await _code(stack, account_id, "contact_change")
    assert destination == number.replace(" ", "")
    confirmed = await browser.post("/account/phone/confirm", {"phone_code": code}, "/account")
    assert confirmed.headers["location"] == "/account#phone"
    assert f"Now: {destination}" in (await browser.get("/account")).text
    assert (await _me(stack, email))["phone"] == destination


async def test_readiness_names_the_service_that_does_not_answer_and_metrics_count(
    stack: Stack, browser: Browser
) -> None:
    ready = await browser.get("/readyz")
    assert ready.status_code == 200
    assert ready.json() == {
        "status": "ready",
        "checks": dict.fromkeys(UPSTREAMS, "ok"),
    }

    # Nothing listens on this port: auth does not answer.
    lost = _web(f"http://127.0.0.1:{free_port()}", stack.mounts, FrozenClock())
    try:
        async with _browser_of(lost) as other:
            unready = await other.get("/readyz")
    finally:
        await lost.deps.backend.close()
    assert unready.status_code == 503
    assert unready.json()["checks"] == {"auth": "unavailable", "deletion": "ok", "survey": "ok"}

    await browser.get("/login")
    metrics = await browser.get("/metrics")
    assert metrics.status_code == 200
    assert metrics.headers["content-type"].startswith("text/plain")
    served = re.search(
        r'adieu_http_requests_total\{method="GET",route="/login",service="web",status="200"\} '
        r"(\d+)",
        metrics.text,
    )
    assert served
    assert int(served.group(1)) >= 1
