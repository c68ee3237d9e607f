"""Free text loses e-mail addresses, URLs and phone numbers; it keeps what names no one."""

from __future__ import annotations

import pytest

from services.survey.scrubbing import REMOVED, scrub


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Ring meg på 912 34 567 i morgen", f"Ring meg på {REMOVED} i morgen"),
        ("tlf +47 912 34 567.", f"tlf {REMOVED}."),
        ("+4791234567", REMOVED),
        ("(+47) 91234567", REMOVED),
        ("0047 91 23 45 67", REMOVED),
        ("Sentralbord 22 33 44 55", f"Sentralbord {REMOVED}"),
        ("4000 0000", REMOVED),
        ("91.23.45.67 og 912-34-567", f"{REMOVED} og {REMOVED}"),
        ("+47\u00a0912\u00a034\u00a0567", REMOVED),
        ("UK: +44 20 7946 0958", f"UK: {REMOVED}"),
        ("Kundenummer ORD12345678", f"Kundenummer ORD{REMOVED}"),
    ],
)
def test_phone_numbers_are_removed_however_they_are_spaced(text: str, expected: str) -> None:
    assert scrub(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("kari@example.com", REMOVED),
        ("Skriv til kari.nordmann@mail.example.co.uk, takk", f"Skriv til {REMOVED}, takk"),
        ("ola+butikk@post.uio.no.", f"{REMOVED}."),
        ("kåre@bøler.no svarer", f"{REMOVED} svarer"),
        ("first_last-1@sub.domain-x.example.org", REMOVED),
    ],
)
def test_email_addresses_are_removed_with_their_subdomains(text: str, expected: str) -> None:
    assert scrub(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Se https://x.example/y?ref=mail, der", f"Se {REMOVED}, der"),
        ("http://a.no", REMOVED),
        ("Se www.x.no.", f"Se {REMOVED}."),
        ("WWW.Example.COM/profil?id=7 er min", f"{REMOVED} er min"),
        ("min side: butikken.no/min-side/kari (sjekk)", f"min side: {REMOVED} (sjekk)"),
        ("ftp://files.example.org/a", REMOVED),
    ],
)
def test_urls_are_removed_with_or_without_a_scheme(text: str, expected: str) -> None:
    assert scrub(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "Jeg gir 4/5, kanskje 3 av 5. 10/10 for frakten",
        "Bestilte 12.03.2024, levert 2024-03-19",
        "Kunde 2019-2023, og 2015 \u2013 2018",
        "Åpent 10.00-16.00",
        "Kostet 12 999 kr, sofaen 1 499 000 kr",
        "kl. 14.30 den 3.4. (ordre 123456)",
        "Byttet til komplett.no",
        "Node 18, Windows 11",
    ],
)
def test_ratings_dates_prices_and_shop_names_are_kept(text: str) -> None:
    assert scrub(text) == text


def test_a_date_next_to_a_phone_number_keeps_the_date() -> None:
    assert scrub("Ringte 12.03.2024 91234567") == f"Ringte 12.03.2024 {REMOVED}"


def test_everything_at_once() -> None:
    text = "E-post a@b.no, tlf: 40000000, web: http://a.no/x og www.b.no: 5/5!"
    assert scrub(text) == f"E-post {REMOVED}, tlf: {REMOVED}, web: {REMOVED} og {REMOVED}: 5/5!"


@pytest.mark.parametrize("text", [None, "", "   \n"])
def test_nothing_left_is_none(text: str | None) -> None:
    assert scrub(text) is None
