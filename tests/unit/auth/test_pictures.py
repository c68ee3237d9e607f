"""Profile pictures are really decoded, limited, and re-encoded as PNG."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from PIL import Image

from services.auth.pictures import (
    InvalidPicture,
    PictureLimits,
    PictureStore,
    PictureTooLarge,
    normalise_picture,
)

LIMITS = PictureLimits(max_bytes=200_000, max_side=256)


def _image(kind: str, size: tuple[int, int] = (32, 24)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, (200, 30, 40)).save(out, format=kind)
    return out.getvalue()


@pytest.mark.parametrize(
    ("kind", "media_type"), [("PNG", "image/png"), ("JPEG", "image/jpeg"), ("WEBP", "image/webp")]
)
def test_each_accepted_type_comes_back_as_png_of_the_same_size(kind: str, media_type: str) -> None:
    png = normalise_picture(_image(kind), media_type, LIMITS)
    with Image.open(io.BytesIO(png)) as decoded:
        assert (decoded.format, decoded.size) == ("PNG", (32, 24))


def test_metadata_and_trailing_bytes_do_not_survive() -> None:
    smuggled = _image("PNG") + b"<?php echo 'owned'; ?>"
    assert b"php" not in normalise_picture(smuggled, "image/png", LIMITS)


@pytest.mark.parametrize(
    ("data", "media_type"),
    [
        (b"GIF89a not really", "image/png"),
        (b"%PDF-1.7", "image/jpeg"),
        (_image("JPEG"), "image/png"),  # the bytes must be what the type claims
        (_image("PNG")[:40], "image/png"),  # truncated
        (_image("PNG"), "image/gif"),
    ],
)
def test_what_is_not_really_a_picture_of_its_type_is_refused(data: bytes, media_type: str) -> None:
    with pytest.raises(InvalidPicture):
        normalise_picture(data, media_type, LIMITS)


def test_too_many_bytes_or_pixels_are_refused() -> None:
    with pytest.raises(PictureTooLarge):
        normalise_picture(b"\0" * (LIMITS.max_bytes + 1), "image/png", LIMITS)
    with pytest.raises(PictureTooLarge):
        normalise_picture(_image("PNG", (257, 10)), "image/png", LIMITS)


async def test_store_writes_random_names_and_erases(tmp_path: Path) -> None:
    pictures = PictureStore(tmp_path, LIMITS)
    first = await pictures.save(_image("PNG"), "image/png")
    second = await pictures.save(_image("PNG"), "image/png")
    assert first != second
    assert (await pictures.read(first) or b"").startswith(b"\x89PNG")
    pictures.delete(first)
    pictures.delete(first)  # twice is fine
    assert await pictures.read(first) is None
    with pytest.raises(ValueError, match="file name"):
        await pictures.read("../auth.sqlite3")
