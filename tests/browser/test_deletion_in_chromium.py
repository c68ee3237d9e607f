"""A person deletes their account in a real Chromium, in Norwegian and in English, against the
platform started exactly as ``make run`` starts it. Each step is saved as a screenshot under
test-artifacts/browser/."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from playwright.async_api import Browser, Page, async_playwright

from tests.support.polling import eventually
from tests.support.stack import ROOT, Stack, codes_sent_to, running_stack

ARTIFACTS = ROOT / "test-artifacts" / "browser"
_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


@dataclass(frozen=True)
class Words:
    """What the person reads (and clicks) in one language."""

    sign_in: str
    delete: str
    continue_: str
    send: str
    confirm: str
    within_24_hours: str
    does_not_exist: str


WORDS = {
    "nb": Words(
        "Logg inn",
        "Slett kontoen",
        "Fortsett",
        "Send",
        "Bekreft",
        "innen 24 timer",
        "Denne kontoen finnes ikke.",
    ),
    "en": Words(
        "Sign in",
        "Delete account",
        "Continue",
        "Send",
        "Confirm",
        "within 24 hours",
        "This account does not exist.",
    ),
}


@pytest.fixture(scope="module")
def stack(chromium: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    brand = {"ADIEU_SHOP_NAME": "Fjellbutikken", "ADIEU_BRAND_COLOR": "#1f5c4a"}
    with running_stack(tmp_path_factory.mktemp("web-platform"), "web", brand) as running:
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


async def _register(stack: Stack, email: str, password: str, language: str) -> None:
    async with httpx.AsyncClient(timeout=10) as http:
        body = {"email": email, "password": password, "language": language}
        created = await http.post(f"{stack.auth}/v1/accounts", json=body)
        assert created.status_code == 201, created.text


class Steps:
    """Screenshots numbered in the order they were taken."""

    def __init__(self, page: Page, name: str) -> None:
        self.page = page
        self.directory = ARTIFACTS / name
        self.directory.mkdir(parents=True, exist_ok=True)
        self.count = 0

    async def shot(self, step: str) -> None:
        self.count += 1
        path = self.directory / f"{self.count:02d}-{step}.png"
        await self.page.screenshot(path=str(path), full_page=True)


async def _sign_in(page: Page, stack: Stack, lang: str, login: str, password: str) -> None:
    await page.goto(f"{stack.web}/login?lang={lang}")
    await page.get_by_label(_label(lang, "login")).fill(login)
    await page.get_by_label(_label(lang, "password"), exact=True).fill(password)
    await page.locator("main form").get_by_role("button", name=WORDS[lang].sign_in).click()


def _label(lang: str, field: str) -> str:
    labels = {
        ("nb", "login"): "E-post eller telefonnummer",
        ("en", "login"): "E-mail or phone number",
        ("nb", "password"): "Passord",
        ("en", "password"): "Password",
    }
    return labels[(lang, field)]


@pytest.mark.parametrize("lang", ["nb", "en"])
async def test_the_whole_journey_in_the_browser(stack: Stack, browser: Browser, lang: str) -> None:
    words = WORDS[lang]
    email, password = f"web-{lang}@example.com", f"long enough password {lang}"
    await _register(stack, email, password, lang)
    page = await browser.new_page()
    steps = Steps(page, lang)

    await page.goto(f"{stack.web}/login?lang={lang}")
    await steps.shot("login")
    await _sign_in(page, stack, lang, email, password)
    await page.wait_for_url("**/account")
    await page.get_by_role("link", name="account" if lang == "en" else "konto").first.click()
    await steps.shot("account-settings")

    await page.locator("a.button.danger").click()
    await page.wait_for_url("**/delete")
    button = page.get_by_role("button", name=words.continue_)
    assert await button.is_disabled()
    await steps.shot("consequences")
    await page.locator("#f-understood").check()
    await page.locator("#f-accepted").check()
    assert await button.is_enabled()
    await steps.shot("consequences-ticked")
    await button.click()

    await page.wait_for_url("**/delete/survey")
    await page.locator("input[name=reasons]").first.check()
    await page.locator("input[name^=rating_][value='4']").first.check()
    await steps.shot("questionnaire")
    await page.locator("main form").first.get_by_role("button", name=words.send).click()

    await page.wait_for_url("**/delete/code")
    await steps.shot("code")

    async def code_arrived() -> str | None:
        codes = codes_sent_to(stack.var_dir, email)
        return codes[-1] if codes else None

    code = await eventually(code_arrived, timeout=30, what="the code in the mail catcher")
    await page.get_by_label("Kode" if lang == "nb" else "Code").fill(code)
    await steps.shot("code-entered")
    await page.get_by_role("button", name=words.confirm).click()

    await page.wait_for_url("**/delete/done")
    assert words.within_24_hours in await page.inner_text("main")
    await steps.shot("done")

    async def gone() -> bool:
        await _sign_in(page, stack, lang, email, password)
        await page.wait_for_load_state()
        return await page.locator("#e-login").count() == 1 and words.does_not_exist == (
            await page.inner_text("#e-login")
        )

    await eventually(gone, timeout=30, interval=0.5, what="the account to be gone")
    await steps.shot("account-does-not-exist")


async def test_continue_stays_disabled_until_both_boxes_are_ticked(
    stack: Stack, browser: Browser
) -> None:
    email, password = "boxes@example.com", "long enough password"
    await _register(stack, email, password, "en")
    page = await browser.new_page()
    steps = Steps(page, "boxes")
    await _sign_in(page, stack, "en", email, password)
    await page.wait_for_url("**/account")
    await page.goto(f"{stack.web}/delete")
    button = page.get_by_role("button", name="Continue")
    understood, accepted = page.locator("#f-understood"), page.locator("#f-accepted")
    assert await button.is_disabled()

    await understood.focus()  # by keyboard only: Space ticks, Tab moves on
    await page.keyboard.press("Space")
    assert await understood.is_checked()
    assert await button.is_disabled()
    await steps.shot("one-box")
    await page.keyboard.press("Tab")
    await page.keyboard.press("Space")
    assert await accepted.is_checked()
    assert await button.is_enabled()
    await steps.shot("both-boxes")
    await page.keyboard.press("Space")
    assert await button.is_disabled()
    await understood.uncheck()
    await accepted.check()
    assert await button.is_disabled()
