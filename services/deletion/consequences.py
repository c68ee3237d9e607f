"""What a person loses by deleting their account, in Norwegian and English; no I/O.

The texts are brand-neutral: the shop is named only through the configured ``shop_name``.
Kept apart from :mod:`services.deletion.domain` because it is copy, not rules.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

__all__ = ["CATEGORIES", "KNOWN_CATEGORIES", "Consequences", "Lang", "Operator", "consequences"]

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
    "addresses": {"nb": "Lagrede leveringsadresser", "en": "Saved delivery addresses"},
    "payment_methods": {"nb": "Lagrede betalingskort", "en": "Saved payment cards"},
    "subscriptions": {
        "nb": "Abonnementer og faste leveranser",
        "en": "Subscriptions and repeat deliveries",
    },
}

# Every category an operator may list (DELETION_DATA_CATEGORIES), and the default list.
KNOWN_CATEGORIES = tuple(_LOST)
CATEGORIES = ("personal_data", "history", "benefits", "wishlists", "reviews", "linked_services")

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
    shop_name: str = ""
    linked_services: tuple[str, ...] = ()
    notification_settings_url: str = ""


def consequences(
    lang: Lang,
    shop_name: str,
    categories: tuple[str, ...] = CATEGORIES,
    linked_services: tuple[str, ...] = (),
    notification_settings_url: str = "/settings/notifications",
) -> Consequences:
    """The consequences of deletion in ``lang``, as the operator configured them.

    ``linked_services`` are names (the same in every language), added to that line.
    """
    lost = []
    for key in categories:
        line = _LOST[key][lang]
        if key == "linked_services" and linked_services:
            line = f"{line}: {', '.join(linked_services)}"
        lost.append((key, line))
    return Consequences(
        lang=lang,
        title=_TITLE[lang],
        intro=_INTRO[lang].format(shop=shop_name),
        lost=tuple(lost),
        identifiers=_IDENTIFIERS[lang],
        alternative=_TAKE_A_BREAK[lang],
        shop_name=shop_name,
        linked_services=linked_services,
        notification_settings_url=notification_settings_url,
    )


@dataclass(frozen=True)
class Operator:
    """What the operator configured for the consequences page."""

    shop_name: str
    categories: tuple[str, ...] = CATEGORIES
    linked_services: tuple[str, ...] = ()
    notification_settings_url: str = "/settings/notifications"

    def render(self, lang: Lang) -> Consequences:
        """The page in ``lang``."""
        return consequences(
            lang,
            self.shop_name,
            self.categories,
            self.linked_services,
            self.notification_settings_url,
        )
