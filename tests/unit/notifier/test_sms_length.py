"""GSM-7 / UCS-2 length rules: encoding, segment counts, and what happens beyond the limit."""

from __future__ import annotations

import pytest

from services.notifier.sms_length import SmsLength, TextTooLong, fit, measure


def test_norwegian_letters_stay_in_gsm7() -> None:
    assert measure("Blåbærsyltetøy fra Ærøskøbing og Åsgårdstrand") == SmsLength("GSM-7", 45, 1)


@pytest.mark.parametrize(
    ("length", "segments"), [(0, 0), (1, 1), (160, 1), (161, 2), (306, 2), (307, 3), (459, 3)]
)
def test_gsm7_segments_are_160_alone_then_153_each(length: int, segments: int) -> None:
    assert measure("æ" * length).segments == segments


@pytest.mark.parametrize(
    ("length", "segments"), [(1, 1), (70, 1), (71, 2), (134, 2), (135, 3), (201, 3), (202, 4)]
)
def test_one_character_outside_gsm7_makes_ucs2_70_then_67(length: int, segments: int) -> None:
    text = "ł" + "ø" * (length - 1)  # Polish ł is not in GSM-7, so ø now costs UCS-2 too
    length_measured = measure(text)
    assert length_measured.encoding == "UCS-2"
    assert length_measured.units == length
    assert length_measured.segments == segments


def test_extension_characters_count_twice_and_are_not_split() -> None:
    assert measure("€" * 80) == SmsLength("GSM-7", 160, 1)
    assert measure("€" * 81).segments == 2
    # The escape pair after 152 septets moves whole to part two: 306 septets, three parts.
    assert measure("a" * 152 + "€" + "a" * 151).segments == 2
    assert measure("a" * 152 + "€" + "a" * 152).segments == 3


def test_emoji_take_two_utf16_units_and_are_not_split() -> None:
    assert measure("🙂" * 35) == SmsLength("UCS-2", 70, 1)
    assert measure("a" * 66 + "🙂" + "a" * 65).segments == 2
    # 134 units would fill two parts of 67, but the pair cannot straddle them.
    assert measure("a" * 66 + "🙂" + "a" * 66).segments == 3


def test_a_text_that_fits_is_untouched() -> None:
    text = "123456 er koden din. Gyldig i 10 minutter."
    assert fit(text, 1, "refuse", keep="123456") == text


def test_refuse_raises_without_quoting_the_text() -> None:
    with pytest.raises(TextTooLong) as caught:
        fit("hemmelig " * 40, 2, "refuse")
    assert str(caught.value) == "the text message needs 3 segments, at most 2 allowed"


@pytest.mark.parametrize(("text", "ellipsis"), [("å" * 400, "..."), ("ł" * 400, "…")])
def test_truncate_cuts_to_the_limit_with_an_ellipsis(text: str, ellipsis: str) -> None:
    cut = fit(text, 2, "truncate")
    assert cut.endswith(ellipsis)
    assert measure(cut).segments == 2
    assert measure(cut + "x").segments == 3  # as long as two segments allow


def test_truncate_refuses_rather_than_cut_away_the_code() -> None:
    text = "a" * 200 + " 654321"
    with pytest.raises(TextTooLong):
        fit(text, 1, "truncate", keep="654321")
    assert fit("654321 " + text, 1, "truncate", keep="654321").startswith("654321")
