"""The web edge in front of the real auth, deletion and survey services (in this process, on
the real broker and SQLite), driven as a browser would: forms, redirects and the cookie."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from services.auth.app import bootstrap as auth_app
from services.auth.config import Settings as AuthSettings
from services.deletion.app import bootstrap as deletion_app
from services.deletion.config import Settings as DeletionSettings
from services.survey.app import bootstrap as survey_app
from services.survey.config import Settings as SurveySettings
from services.web.app import bootstrap as web_app
from services.web.config import Settings as WebSettings
from shared.clock import FrozenClock
from shared.config import PlatformSettings
from shared.crypto import new_key
from shared.events import (
    AccountRegistered,
    CodeDeliveryRequested,
    HoldsReported,
    NotificationDelayed,
    ReportedHold,
    new_event,
)
from tests.support.account_keys import AccountKeys
from tests.support.kafka import produce_event, read_events
from tests.support.platform import Keys
from tests.support.polling import eventually

CODE = "246810"
OPERATOR = "operator-token-for-web-tests"
DELETION_ADMIN = "deletion-admin-token-for-tests"
PASSWORD = "a long enough password"


@dataclass
class Site:
    """A browser-like client of the web edge, and the clock every service shares."""

    web: httpx.AsyncClient
    auth: httpx.AsyncClient
    clock: FrozenClock
    catch_up: Callable[[], Awaitable[None]]  # survey starts reading (when it was behind)

    async def csrf(self, path: str) -> str:
        page = await self.web.get(path)
        assert page.status_code == 200, page.text
        found = re.search(r'name="csrf" value="([^"]+)"', page.text)
        assert found, f"no CSRF token on {path}"
        return found.group(1)

    async def post(
        self, path: str, form: dict[str, str], page: str | None = None
    ) -> httpx.Response:
        return await self.web.post(path, data={**form, "csrf": await self.csrf(page or path)})

    async def register_and_sign_in(self, email: str, language: str = "en") -> None:
        body = {"email": email, "password": PASSWORD, "language": language}
        assert (await self.auth.post("/v1/accounts", json=body)).status_code == 201
        signed_in = await self.post("/login", {"login": email, "password": PASSWORD})
        assert (signed_in.status_code, signed_in.headers["location"]) == (303, "/account")


@asynccontextmanager
async def _serving(
    platform: PlatformSettings, keys: Keys, tmp_path: Path, *, survey_behind: bool = False
) -> AsyncIterator[Site]:
    """The site; with ``survey_behind``, survey answers but has read none of deletion's events
    until :meth:`Site.catch_up` (as after a broker restart, for seconds)."""
    clock = FrozenClock()
    auth = auth_app(
        AuthSettings(
            data_dir=tmp_path,
            platform=platform,
            token_signing_key=keys.signing_key,
            identifier_hmac_key=new_key(),
        ),
        clock=clock,
    )
    deletion = deletion_app(
        DeletionSettings(
            data_dir=tmp_path,
            platform=platform,
            hmac_key=new_key(),
            admin_token=DELETION_ADMIN,
            shop_name="Fjellbutikken",
        ),
        clock=clock,
        new_code=lambda: CODE,
    )
    survey = survey_app(
        SurveySettings(data_dir=tmp_path, platform=platform, answer_wait_seconds=0.5),
        clock=clock,
    )
    web = web_app(
        WebSettings(
            session_key=new_key(),
            admin_token=OPERATOR,
            deletion_admin_token=DELETION_ADMIN,
            auth_url="http://auth",
            deletion_url="http://deletion",
            survey_url="http://survey",
            default_language="en",
        ),
        clock=clock,
        mounts={
            f"http://{name}": httpx.ASGITransport(app=service.api)
            for name, service in (("auth", auth), ("deletion", deletion), ("survey", survey))
        },
    )
    async with AsyncExitStack() as running:
        for service in (auth, deletion) if survey_behind else (auth, deletion, survey):
            await running.enter_async_context(service.runtime.running())

        async def catch_up() -> None:
            await survey.runtime.db.close()
            await running.enter_async_context(survey.runtime.running())

        if survey_behind:
            await survey.runtime.db.open()  # its API answers; its worker has not started
        auth_client = httpx.AsyncClient(
            transport=httpx.ASGITransport(app=auth.api), base_url="http://auth"
        )
        browser = httpx.AsyncClient(
            transport=httpx.ASGITransport(app=web.api), base_url="https://shop.test"
        )
        running.push_async_callback(auth_client.aclose)
        running.push_async_callback(browser.aclose)
        running.push_async_callback(web.deps.backend.close)
        yield Site(web=browser, auth=auth_client, clock=clock, catch_up=catch_up)


@pytest.fixture
async def site(platform: PlatformSettings, keys: Keys, tmp_path: Path) -> AsyncIterator[Site]:
    async with _serving(platform, keys, tmp_path) as serving:
        yield serving


@pytest.fixture
async def survey_behind(
    platform: PlatformSettings, keys: Keys, tmp_path: Path
) -> AsyncIterator[Site]:
    async with _serving(platform, keys, tmp_path, survey_behind=True) as serving:
        yield serving


def _error(page: httpx.Response, field: str) -> str:
    found = re.search(rf'<p class="error" id="e-{field}">([^<]*)</p>', page.text)
    assert found, f"no error next to {field}"
    return found.group(1)


async def test_sign_in_settings_and_the_guards_of_the_first_step(site: Site) -> None:
    unknown = await site.post("/login", {"login": "nobody@example.com", "password": PASSWORD})
    assert unknown.status_code == 404
    assert _error(unknown, "login") == "This account does not exist."
    await site.web.get("/login?lang=nb")
    norsk = await site.post("/login", {"login": "nobody@example.com", "password": PASSWORD})
    assert _error(norsk, "login") == "Denne kontoen finnes ikke."

    await site.auth.post("/v1/accounts", json={"email": "kari@example.com", "password": PASSWORD})
    wrong = await site.post("/login", {"login": "kari@example.com", "password": "not it"})
    assert wrong.status_code == 401
    assert _error(wrong, "password") == "Passordet er feil."

    await site.register_and_sign_in("ola@example.com", language="en")
    account = await site.web.get("/account")
    assert account.status_code == 200
    assert '<html lang="en">' in account.text  # the account's language, not the page's last
    assert "Now: ola@example.com" in account.text
    assert account.text.index('id="break"') < account.text.index('id="delete"')

    forged = await site.web.post("/delete", data={"understood": "yes", "accepted": "yes"})
    assert forged.status_code == 403
    one_box = await site.post("/delete", {"understood": "yes", "channel": "email"})
    assert one_box.status_code == 422
    assert _error(one_box, "accepted") == "You must tick this box to continue."
    assert 'id="e-understood"' not in one_box.text
    assert "Fjellbutikken" in one_box.text  # deletion's consequences, shown by the page
    still_first_step = await site.web.get("/delete")
    assert 'action="/delete"' in still_first_step.text  # no request was made


async def test_password_again_questionnaire_and_code(site: Site) -> None:
    await site.register_and_sign_in("nora@example.com")
    site.clock.advance(400)  # older than deletion's re-authentication window
    both = {"understood": "yes", "accepted": "yes", "channel": "email"}
    decided = await site.post("/delete", both)
    assert decided.headers["location"] == "/delete/reauth"
    refused = await site.post("/delete/reauth", {"password": "wrong"})
    assert _error(refused, "password") == "The password is not correct."
    again = await site.post("/delete/reauth", {"password": PASSWORD})
    assert again.headers["location"] == "/delete"
    assert (await site.web.get("/delete")).headers["location"] == "/delete/survey"

    empty = await site.post("/delete/survey", {})
    assert empty.status_code == 422
    assert _error(empty, "reasons")
    reason = re.search(r'name="reasons" value="([^"]+)"', empty.text)
    assert reason
    sent = await site.post("/delete/survey", {"reasons": reason.group(1)})
    assert sent.headers["location"] == "/delete/code"

    async def wrong_code_refused() -> str | None:
        answer = await site.post("/delete/code", {"code": "000000"}, page="/delete/code")
        return _error(answer, "code") if "tries left" in answer.text else None

    assert "tries left" in await eventually(wrong_code_refused, what="the code to be issued")
    confirmed = await site.post("/delete/code", {"code": CODE})
    assert confirmed.headers["location"] == "/delete/done"
    done = await site.web.get("/delete/done")
    assert "within 24 hours" in done.text
    assert (await site.web.get("/account")).headers["location"] == "/login"

    await _the_operator_sees_it(site)


async def test_an_answer_survey_has_not_heard_of_yet_says_one_moment(
    survey_behind: Site,
) -> None:
    site = survey_behind
    await site.register_and_sign_in("astrid@example.com")
    both = {"understood": "yes", "accepted": "yes", "channel": "email"}
    assert (await site.post("/delete", both)).status_code == 303
    page = await site.web.get("/delete/survey")
    reason = re.search(r'name="reasons" value="([^"]+)"', page.text)
    assert reason
    early = await site.post("/delete/survey", {"reasons": reason.group(1)})
    # Not "we cannot find the deletion": deletion shows it waiting, survey has not read it.
    assert early.status_code == 409
    assert early.headers["Retry-After"] == "5"
    assert _error(early, "reasons").startswith("One moment")
    assert re.search(rf'value="{reason.group(1)}"[^>]*checked', early.text)  # answers kept
    await site.catch_up()

    async def sent() -> str | None:
        again = await site.post("/delete/survey", {"reasons": reason.group(1)})
        return again.headers.get("location") if again.status_code == 303 else None

    assert await eventually(sent, timeout=30, what="survey to know the request") == "/delete/code"


async def _the_operator_sees_it(site: Site) -> None:
    assert (await site.web.get("/operator")).headers["location"] == "/operator/login"
    signed_in = await site.post("/operator/login", {"token": OPERATOR})
    assert signed_in.headers["location"] == "/operator"
    overview = await site.web.get("/operator")
    assert overview.status_code == 200
    assert "scheduled" in overview.text


async def test_the_code_page_says_when_the_code_is_late(
    site: Site, platform: PlatformSettings
) -> None:
    await site.register_and_sign_in("sigrid@example.com")

    async def registered() -> AccountRegistered | None:
        found = await read_events(platform.kafka_bootstrap, platform.topics.auth_events)
        return next((e for e in found if isinstance(e, AccountRegistered)), None)

    account = await eventually(registered, what="the account registered")
    # The notifier's key for the account, which the code is sealed to.
    await AccountKeys().announce(
        platform.kafka_bootstrap, platform.topics.notifier_events, account.account_id
    )
    both = {"understood": "yes", "accepted": "yes", "channel": "email"}
    assert (await site.post("/delete", both)).status_code == 303
    assert (await site.web.get("/delete")).headers["location"] == "/delete/survey"
    page = await site.web.get("/delete/survey")
    reason = re.search(r'name="reasons" value="([^"]+)"', page.text)
    assert reason
    sent = await site.post("/delete/survey", {"reasons": reason.group(1)})
    assert sent.headers["location"] == "/delete/code"
    assert "delayed" not in (await site.web.get("/delete/code")).text

    async def asked() -> CodeDeliveryRequested | None:
        found = await read_events(platform.kafka_bootstrap, platform.topics.notifications)
        return next((e for e in found if isinstance(e, CodeDeliveryRequested)), None)

    request = await eventually(asked, what="the code requested from the notifier")
    delayed = new_event(
        NotificationDelayed,
        account_id=request.account_id,
        correlation_id=request.correlation_id,
        occurred_at=site.clock.now(),
        notification_id=request.payload.notification_id,
        reason="the mail server did not answer",
    )
    await produce_event(platform.kafka_bootstrap, platform.topics.notifier_events, delayed)

    async def shown() -> bool:
        return "Your code is delayed. We keep trying" in (await site.web.get("/delete/code")).text

    await eventually(shown, what="the line about the late code")


async def test_the_operator_sees_a_held_deletion(site: Site, platform: PlatformSettings) -> None:
    hold = ReportedHold(
        hold_id="case-7", reason="legal_hold", text_nb="Juridisk sak", text_en="A legal case"
    )
    reported = new_event(
        HoldsReported,
        account_id="held-account",
        correlation_id="test",
        occurred_at=site.clock.now(),
        participant="auth",
        holds=(hold,),
    )
    await produce_event(platform.kafka_bootstrap, platform.topics.participant_answers, reported)
    await site.post("/operator/login", {"token": OPERATOR}, page="/operator/login")

    async def listed() -> str | None:
        page = (await site.web.get("/operator")).text
        return page if "legal_hold: A legal case" in page else None

    page = await eventually(listed, what="the hold in the operator view")
    assert "(overdue)" not in page
