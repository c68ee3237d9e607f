"""What the browser walks share: the words a person reads, screenshots of every page, and the
check that no page is wider than the screen it is shown on."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from playwright.async_api import Page

from tests.support.polling import eventually
from tests.support.stack import ROOT, Stack, codes_sent_to

__all__ = ["ARTIFACTS", "SHOP", "WORDS", "Steps", "Words", "next_code"]

ARTIFACTS = ROOT / "test-artifacts" / "browser"
SHOP = "Fjellbutikken"


@dataclass(frozen=True)
class Words:
    """What the person reads (and clicks) in one language."""

    login: str
    password: str
    sign_in: str
    sign_up_link: str
    sign_up: str
    code: str
    confirm: str
    proven: str
    break_button: str
    break_done: str
    delete: str
    download_data: str
    download_copy: str
    terms_title: str
    continue_: str
    send: str
    choose_a_reason: str
    code_valid: str
    within_24_hours: str
    deadline: re.Pattern[str]
    back_to_shop: str
    does_not_exist: str
    not_found: str


WORDS = {
    "nb": Words(
        login="E-post eller telefonnummer",
        password="Passord",
        sign_in="Logg inn",
        sign_up_link="Ny her? Opprett konto",
        sign_up="Opprett konto",
        code="Kode",
        confirm="Bekreft",
        proven="Adressen er bekreftet. Logg inn for å ta kontoen i bruk.",
        break_button="Ta en pause: slå av alt",
        break_done="Alle varsler og all reklame er slått av.",
        delete="Slett kontoen",
        download_data="Last ned dataene mine",
        download_copy="Last ned kopien (zip)",
        terms_title="Vilkår for sletting",
        continue_="Fortsett",
        send="Send",
        choose_a_reason="Velg minst én grunn.",
        code_valid="Den gjelder i 10 minutter.",
        within_24_hours="innen 24 timer",
        deadline=re.compile(r"\d{1,2}\. [a-z]+ \d{4} kl\. \d{2}:\d{2} UTC"),
        back_to_shop=f"Tilbake til {SHOP}",
        does_not_exist="Denne kontoen finnes ikke.",
        not_found="Siden finnes ikke",
    ),
    "en": Words(
        login="E-mail or phone number",
        password="Password",
        sign_in="Sign in",
        sign_up_link="New here? Create an account",
        sign_up="Create account",
        code="Code",
        confirm="Confirm",
        proven="Your address is confirmed. Sign in to start using your account.",
        break_button="Take a break: turn everything off",
        break_done="Every notification and all ads are off.",
        delete="Delete account",
        download_data="Download my data",
        download_copy="Download the copy (zip)",
        terms_title="Terms of deletion",
        continue_="Continue",
        send="Send",
        choose_a_reason="Choose at least one reason.",
        code_valid="It is valid for 10 minutes.",
        within_24_hours="within 24 hours",
        deadline=re.compile(r"\d{1,2} [A-Z][a-z]+ \d{4} at \d{2}:\d{2} UTC"),
        back_to_shop=f"Back to {SHOP}",
        does_not_exist="This account does not exist.",
        not_found="Page not found",
    ),
}


class Steps:
    """Screenshots numbered in the order they were taken, each page checked for its width."""

    def __init__(self, page: Page, name: str, width: int) -> None:
        self.page = page
        self.width = width
        self.directory = ARTIFACTS / name
        self.directory.mkdir(parents=True, exist_ok=True)
        for old in self.directory.glob("*.png"):
            old.unlink()
        self.count = 0

    async def shot(self, step: str) -> Path:
        """Save the whole page and fail if it scrolls sideways on this screen."""
        await self.page.wait_for_load_state()
        wide = await self.page.evaluate(
            "Math.max(document.documentElement.scrollWidth, document.body.scrollWidth)"
        )
        assert wide <= self.width, f"{step}: the page is {wide} px wide on a {self.width} px screen"
        self.count += 1
        path = self.directory / f"{self.count:02d}-{step}.png"
        await self.page.screenshot(path=str(path), full_page=True)
        return path


async def next_code(stack: Stack, address: str, seen: int) -> str:
    """The code of the ``seen + 1``-th coded e-mail to ``address``, once it has arrived."""

    async def arrived() -> str | None:
        codes = codes_sent_to(stack.var_dir, address)
        return codes[seen] if len(codes) > seen else None

    return await eventually(arrived, timeout=30, what=f"code number {seen + 1} in the mail")
