"""The downloadable archive: one JSON file per service and a README in the person's language.

Built in memory when the owner downloads it, from parts opened at that moment; nothing readable
is ever written to disk.
"""

from __future__ import annotations

import io
import zipfile
from collections.abc import Mapping
from datetime import datetime

from services.deletion.export_domain import Export, PartState
from shared.events import Language

__all__ = ["build_archive", "readme"]

_TEXTS: dict[Language, dict[str, str]] = {
    "nb": {
        "title": "Dine data fra {shop}",
        "made": "Laget {when} (UTC). Arkivet kan lastes ned til {until} (UTC).",
        "inside": "Innhold, én fil per tjeneste:",
        "delivered": "{file}: det {service} har lagret om deg",
        "missing": "{service}: svarte ikke i tide; denne delen mangler",
        "too_large": "{service}: delen var for stor til å sendes; kontakt {shop}",
        "failed": "{service}: kunne ikke levere sin del; kontakt {shop}",
        "format": "Filene er JSON (UTF-8) og kan åpnes i et hvilket som helst tekstprogram.",
    },
    "en": {
        "title": "Your data from {shop}",
        "made": "Made {when} (UTC). The archive can be downloaded until {until} (UTC).",
        "inside": "Contents, one file per service:",
        "delivered": "{file}: what {service} holds about you",
        "missing": "{service}: did not answer in time; this part is missing",
        "too_large": "{service}: the part was too large to send; contact {shop}",
        "failed": "{service}: could not deliver its part; contact {shop}",
        "format": "The files are JSON (UTF-8) and open in any text editor.",
    },
}


def _when(moment: datetime | None) -> str:
    return "" if moment is None else moment.strftime("%Y-%m-%d %H:%M")


def readme(export: Export, shop_name: str) -> str:
    """The README listing what is inside, and which parts are missing and why."""
    text = _TEXTS[export.lang]
    lines = [
        text["title"].format(shop=shop_name),
        "",
        text["made"].format(when=_when(export.ready_at), until=_when(export.expires_at)),
        "",
        text["inside"],
    ]
    for service, state in export.parts:
        key: PartState = state if state != "pending" else "missing"
        line = text[key].format(file=f"{service}.json", service=service, shop=shop_name)
        lines.append(f"- {line}")
    lines += ["", text["format"], ""]
    return "\n".join(lines)


def build_archive(export: Export, parts: Mapping[str, bytes], shop_name: str) -> bytes:
    """The zip: ``README.txt`` and ``<service>.json`` for each delivered part."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("README.txt", readme(export, shop_name))
        for service, content in sorted(parts.items()):
            archive.writestr(f"{service}.json", content)
    return buffer.getvalue()
