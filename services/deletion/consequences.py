"""What a person loses by deleting their account, in Norwegian and English; no I/O.

The texts are brand-neutral: the shop is named only through the configured ``shop_name``.
Kept apart from :mod:`services.deletion.domain` because it is copy, not rules.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

__all__ = ["Consequences", "Lang", "consequences"]

Lang = Literal["nb", "en"]

_TITLE: dict[Lang, str] = {
    "nb": "Sletting av kontoen kan ikke angres",
    "en": "Deleting your account cannot be undone",
}

_INTRO: dict[Lang, str] = {
    "nb": "Når kontoen din hos {shop} slettes, mister du dette for godt:",
    "en": "When your account with {shop} is deleted, you lose the following for good:",
}

_LOST: dict[str, dict[Lang, str]] = {
    "personal_data": {
        "nb": "Alle personopplysninger knyttet til kontoen",
        "en": "All personal data linked to the account",
    },
    "history": {
        "nb": "Ordre-, betalings- og leveringshistorikken din",
        "en": "Your order, payment and delivery history",
    },
    "benefits": {
        "nb": "Kuponger, poeng og gavekort, og verdien av dem",
        "en": "Coupons, points and gift cards, and what they are worth",
    },
    "wishlists": {"nb": "Ønskelistene dine", "en": "Your wishlists"},
    "reviews": {"nb": "Anmeldelsene du har skrevet", "en": "The reviews you have written"},
    "linked_services": {
        "nb": "Tilgang til tjenester du logger inn på med denne kontoen",
        "en": "Access to services you sign in to with this account",
    },
}

_IDENTIFIERS: dict[Lang, str] = {
    "nb": (
        "E-postadressen og telefonnummeret på kontoen kan aldri brukes til å opprette en ny konto."
    ),
    "en": "The e-mail address and phone number on the account can never be used for a new account.",
}

_TAKE_A_BREAK: dict[Lang, str] = {
    "nb": (
        "Trenger du bare en pause? Slå av varsler og reklame i stedet, så beholder du kontoen"
        " og alt som hører til."
    ),
    "en": (
        "Just need a break? Turn off notifications and ads instead, and keep your account"
        " and everything in it."
    ),
}


@dataclass(frozen=True)
class Consequences:
    """The consequences page in one language."""

    lang: Lang
    title: str
    intro: str
    lost: tuple[tuple[str, str], ...]
    identifiers: str
    alternative: str


def consequences(lang: Lang, shop_name: str) -> Consequences:
    """The consequences of deletion in ``lang``, naming the shop as ``shop_name``."""
    return Consequences(
        lang=lang,
        title=_TITLE[lang],
        intro=_INTRO[lang].format(shop=shop_name),
        lost=tuple((key, text[lang]) for key, text in _LOST.items()),
        identifiers=_IDENTIFIERS[lang],
        alternative=_TAKE_A_BREAK[lang],
    )
