"""A new customer signs up, proves the address, takes a break, then deletes the account, in a
real Chromium, in Norwegian and in English, on a desktop and on a phone, against the platform
started exactly as ``make run`` starts it. Every page is saved under test-artifacts/browser/
and checked to be no wider than the screen."""

from __future__ import annotations

import io
import zipfile
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import httpx
import pytest
from playwright.async_api import Browser, Page, async_playwright

from tests.browser.walk import SHOP, WORDS, Steps, Words, next_code
from tests.support.brokers import BrokerUnderTest
from tests.support.polling import eventually
from tests.support.stack import Stack, emails_to, running_stack, text_of

_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
# (language, screen width, phone?): a desktop and the two common phone widths.
SCREENS = [("nb", 1280, False), ("en", 1280, False), ("nb", 390, True), ("en", 360, True)]


@pytest.fixture(scope="module")
def stack(
    chromium: Path, tmp_path_factory: pytest.TempPathFactory, broker: BrokerUnderTest
) -> Iterator[Stack]:
    brand = {"ADIEU_SHOP_NAME": SHOP, "ADIEU_BRAND_COLOR": "#1f5c4a"}
    with running_stack(tmp_path_factory.mktemp("web-platform"), "web", broker, brand) as running:
        yield running


@pytest.fixture
async def browser(chromium: Path) -> AsyncIterator[Browser]:
    async with async_playwright() as playwright:
        launched = await playwright.chromium.launch(
            executable_path=str(chromium), headless=True, args=_ARGS
        )
        try:
            yield launched
        finally:
            await launched.close()


async def _screen(browser: Browser, width: int, phone: bool) -> Page:
    context = await browser.new_context(
        viewport={"width": width, "height": 800 if phone else 900},
        is_mobile=phone,
        has_touch=phone,
        device_scale_factor=1,
    )
    return await context.new_page()


async def _sign_in(page: Page, stack: Stack, words: Words, login: str, password: str) -> None:
    await page.goto(f"{stack.web}/login")
    await page.get_by_label(words.login).fill(login)
    await page.get_by_label(words.password, exact=True).fill(password)
    await page.locator("main form").get_by_role("button", name=words.sign_in).click()


async def _sign_up(page: Page, stack: Stack, steps: Steps, lang: str, email: str) -> str:
    """Sign up from the login page and prove the address with the code; returns the password."""
    words, password = WORDS[lang], "a long enough password"
    await page.goto(f"{stack.web}/login?lang={lang}")
    assert SHOP in await page.inner_text("header")
    await steps.shot("login")
    await page.get_by_role("link", name=words.sign_up_link).click()
    await page.get_by_label(words.login).fill(email)
    await page.get_by_label(words.password, exact=True).fill(password)
    await steps.shot("sign-up")
    await page.locator("main form").get_by_role("button", name=words.sign_up).click()
    await page.wait_for_url("**/signup/verify")
    masked = email[0] + "***@" + email.split("@")[1]
    assert masked in await page.inner_text("#sent-to")
    await steps.shot("sign-up-code")
    # Before the code, the account cannot be used: signing in leads back to the code.
    await _sign_in(page, stack, words, email, password)
    await page.wait_for_url("**/signup/verify")
    await page.get_by_label(words.code).fill(await next_code(stack, email, 0))
    await page.get_by_role("button", name=words.confirm).click()
    await page.wait_for_url("**/login")
    assert words.proven in await page.inner_text("main")
    assert await page.get_by_label(words.login).input_value() == email
    await steps.shot("address-proven")
    return password


async def _take_breaks(page: Page, stack: Stack, steps: Steps, words: Words) -> None:
    """The one-click break, from the settings page and from the consequences page."""
    await page.wait_for_url("**/account")
    await steps.shot("settings")
    await page.locator("#break").get_by_role("button", name=words.break_button).click()
    await page.wait_for_url("**/account#break")
    assert words.break_done in await page.inner_text("[role=status]")
    await steps.shot("break-taken")
    await page.goto(f"{stack.web}/delete")
    await page.locator("#break").get_by_role("button", name=words.break_button).click()
    await page.wait_for_url("**/account#break")
    assert words.break_done in await page.inner_text("[role=status]")
    await page.goto(f"{stack.web}/account")


async def _download_my_data(page: Page, stack: Stack, steps: Steps, words: Words) -> None:
    """Download my data from the consequences page: asked, prepared, downloaded, opened."""
    await page.goto(f"{stack.web}/delete")
    await page.get_by_role("button", name=words.download_data).click()
    await page.wait_for_url("**/export")
    link = page.get_by_role("link", name=words.download_copy)

    async def ready() -> bool:
        if await link.count():
            return True
        await page.reload()
        return False

    await eventually(ready, timeout=30, interval=0.5, what="the copy of the data")
    await steps.shot("export-ready")
    async with page.expect_download() as download:
        await link.click()
    saved = await (await download.value).path()
    with zipfile.ZipFile(io.BytesIO(saved.read_bytes())) as archive:
        assert {"README.txt", "auth.json"} <= set(archive.namelist())
    await page.goto(f"{stack.web}/account")


async def _consequences(page: Page, steps: Steps, words: Words) -> None:
    await page.locator("a.button.danger").click()
    await page.wait_for_url("**/delete")
    assert SHOP in await page.inner_text("main")  # the intro names the shop as written
    button = page.get_by_role("button", name=words.continue_)
    assert await button.is_disabled()
    await steps.shot("consequences")
    await page.locator("#terms-link").click()
    await page.wait_for_url("**/terms")
    assert words.terms_title in await page.inner_text("h1")
    assert SHOP in await page.inner_text("main")
    await steps.shot("terms")
    await page.go_back()
    await page.locator("#f-understood").check()
    await page.locator("#f-accepted").check()
    assert await button.is_enabled()
    await steps.shot("consequences-ticked")
    await button.click()


async def _questionnaire(page: Page, steps: Steps, words: Words) -> None:
    """Send without a reason first: the error says what to do, next to the reasons."""
    await page.wait_for_url("**/delete/survey")
    await page.locator("input[name^=rating_][value='4']").first.check()
    await page.locator("#f-comment").fill("Nothing personal.")
    await steps.shot("questionnaire")
    await page.locator("main form").first.get_by_role("button", name=words.send).click()
    await page.wait_for_url("**/delete/survey")
    assert await page.inner_text("#reasons #e-reasons") == words.choose_a_reason
    assert await page.locator("[aria-invalid=true]").count() == 0  # no other box accused
    assert await page.locator("#f-comment").input_value() == "Nothing personal."
    assert await page.locator("input[name^=rating_][value='4']").first.is_checked()
    await steps.shot("questionnaire-error")
    await page.locator("input[name=reasons]").first.check()
    await page.locator("main form").first.get_by_role("button", name=words.send).click()


async def _code_and_done(page: Page, stack: Stack, steps: Steps, words: Words, email: str) -> str:
    await page.wait_for_url("**/delete/code")
    told = await page.inner_text("#sent-to")
    assert email[0] + "***@" in told
    assert words.code_valid in told
    await steps.shot("code")
    await page.get_by_label(words.code).fill(await next_code(stack, email, 1))
    await page.get_by_role("button", name=words.confirm).click()
    await page.wait_for_url("**/delete/done")
    main = await page.inner_text("main")
    assert words.within_24_hours in main
    deadline = words.deadline.search(await page.inner_text("#deadline"))
    assert deadline is not None, await page.inner_text("#deadline")
    link = page.get_by_role("link", name=words.back_to_shop)
    assert await link.get_attribute("href") == "/"
    await steps.shot("done")
    return deadline.group(0)


async def _same_deadline_in_the_mail(stack: Stack, email: str, deadline: str) -> None:
    async def scheduled() -> bool:
        return any(deadline in text_of(mail) for mail in emails_to(stack.var_dir, email))

    await eventually(scheduled, timeout=30, what=f"an e-mail saying {deadline}")
    mail = emails_to(stack.var_dir, email)[0]
    assert mail["From"].addresses[0].display_name == SHOP
    assert f">{SHOP}</td>" in mail.get_body(preferencelist=("html",)).get_content()


async def _gone(
    page: Page, stack: Stack, steps: Steps, words: Words, login: tuple[str, str]
) -> None:
    async def account_does_not_exist() -> bool:
        await _sign_in(page, stack, words, *login)
        await page.wait_for_load_state()
        found = page.locator("#e-login")
        return await found.count() == 1 and await found.inner_text() == words.does_not_exist

    await eventually(account_does_not_exist, timeout=30, interval=0.5, what="the purge")
    await steps.shot("account-does-not-exist")
    await page.goto(f"{stack.web}/no/such/page")
    assert words.not_found in await page.inner_text("h1")
    await steps.shot("not-found")


@pytest.mark.parametrize(("lang", "width", "phone"), SCREENS)
async def test_sign_up_take_a_break_and_delete(
    stack: Stack, browser: Browser, lang: str, width: int, phone: bool
) -> None:
    words, email = WORDS[lang], f"walk-{lang}-{width}@example.com"
    page = await _screen(browser, width, phone)
    steps = Steps(page, f"{lang}-{width}", width)
    password = await _sign_up(page, stack, steps, lang, email)
    await _sign_in(page, stack, words, email, password)
    await _take_breaks(page, stack, steps, words)
    await _download_my_data(page, stack, steps, words)
    await _consequences(page, steps, words)
    await _questionnaire(page, steps, words)
    deadline = await _code_and_done(page, stack, steps, words, email)
    await _same_deadline_in_the_mail(stack, email, deadline)
    await _gone(page, stack, steps, words, (email, password))
    await page.context.close()


async def test_continue_stays_disabled_until_both_boxes_are_ticked(
    stack: Stack, browser: Browser
) -> None:
    email, password = "boxes@example.com", "long enough password"
    async with httpx.AsyncClient(timeout=10) as http:
        body = {"email": email, "password": password, "language": "en"}
        assert (await http.post(f"{stack.auth}/v1/accounts", json=body)).status_code == 201
    page = await _screen(browser, 1280, phone=False)
    await _sign_in(page, stack, WORDS["en"], email, password)
    await page.wait_for_url("**/account")
    await page.goto(f"{stack.web}/delete")
    button = page.get_by_role("button", name="Continue")
    understood, accepted = page.locator("#f-understood"), page.locator("#f-accepted")
    assert await button.is_disabled()

    await understood.focus()  # by keyboard only: Space ticks, Tab moves on
    await page.keyboard.press("Space")
    assert await understood.is_checked()
    assert await button.is_disabled()
    await page.keyboard.press("Tab")
    await page.keyboard.press("Space")
    assert await accepted.is_checked()
    assert await button.is_enabled()
    await page.keyboard.press("Space")
    assert await button.is_disabled()
    await understood.uncheck()
    await accepted.check()
    assert await button.is_disabled()
    await page.context.close()


async def _request_deletion(stack: Stack, email: str) -> None:
    password = "long enough password"
    async with httpx.AsyncClient(timeout=10) as http:
        body = {"email": email, "password": password, "language": "en"}
        assert (await http.post(f"{stack.auth}/v1/accounts", json=body)).status_code == 201
        signed = await http.post(
            f"{stack.auth}/v1/sessions", json={"login": email, "password": password}
        )
        bearer = {"Authorization": f"Bearer {signed.json()['access_token']}"}
        asked = {"understood_consequences": True, "accepted_terms": True, "channel": "email"}
        made = await http.post(f"{stack.deletion}/v1/deletion-requests", json=asked, headers=bearer)
        assert made.status_code == 201, made.text


async def test_operator_and_password_reset_pages_fit_a_phone(
    stack: Stack, browser: Browser
) -> None:
    """The pages the walks do not pass through, on the narrowest phone, in English."""
    await _request_deletion(stack, "operator-view@example.com")
    page = await _screen(browser, 360, phone=True)
    steps = Steps(page, "en-360-other", 360)
    await page.goto(f"{stack.web}/password-reset?lang=en")
    await steps.shot("password-reset")
    await page.get_by_label("E-mail or phone number").fill("nobody@example.com")
    await page.get_by_role("button", name="Send code").click()
    assert "If the account exists" in await page.inner_text("[role=status]")
    await steps.shot("password-reset-sent")
    await page.goto(f"{stack.web}/operator/login")
    await steps.shot("operator-login")
    await page.get_by_label("Operator token").fill(stack.secrets()["WEB_ADMIN_TOKEN"])
    await page.get_by_role("button", name="Sign in").click()
    await page.wait_for_url("**/operator")
    # Statuses by their names in the page's language, never the raw state names.
    names = await page.locator("#status-title + .table-wrap tbody a").all_inner_texts()
    assert "Awaiting the survey" in names
    assert "awaiting_survey" not in await page.inner_text("main")
    report = page.frame_locator("iframe.report")
    assert "Exit survey" in await report.locator("h1").inner_text()
    await steps.shot("operator")
    await page.context.close()
