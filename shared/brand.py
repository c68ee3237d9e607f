"""The shop's name and colour: one setting each, read by every service that shows them.

``ADIEU_SHOP_NAME`` names the shop on every page, in deletion's consequences text and in every
e-mail and SMS, used exactly as written (never re-cased); ``ADIEU_BRAND_COLOR`` colours the
pages and the e-mails. Each service's settings declare the fields through these helpers, so the
names, defaults and checks live here once.
"""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import Field, StringConstraints

__all__ = [
    "BRAND_COLOR_PATTERN",
    "DEFAULT_BRAND_COLOR",
    "DEFAULT_SHOP_NAME",
    "BrandColor",
    "brand_color_field",
    "shop_name_field",
]

DEFAULT_SHOP_NAME = "The Shop"
DEFAULT_BRAND_COLOR = "#1f5c4a"
# Written into a stylesheet and an e-mail's style attribute, so only a plain #rrggbb may pass.
BRAND_COLOR_PATTERN = r"^#[0-9a-fA-F]{6}$"
BrandColor = Annotated[str, StringConstraints(pattern=BRAND_COLOR_PATTERN, to_lower=True)]


def shop_name_field() -> Any:
    """The ``shop_name`` field, read from ``ADIEU_SHOP_NAME`` whatever the service's prefix."""
    return Field(
        default=DEFAULT_SHOP_NAME,
        min_length=1,
        max_length=100,
        validation_alias="ADIEU_SHOP_NAME",
        description="The shop's name, shown as written on every page, text, e-mail and SMS",
    )


def brand_color_field() -> Any:
    """The ``brand_color`` field, read from ``ADIEU_BRAND_COLOR``."""
    return Field(
        default=DEFAULT_BRAND_COLOR,
        validation_alias="ADIEU_BRAND_COLOR",
        description="The shop's colour (#rrggbb) on the pages and in e-mails",
    )
