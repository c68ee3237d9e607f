"""Profile pictures: really decoded with Pillow, re-encoded to PNG, kept as files.

Re-encoding drops whatever else the upload carried (metadata, trailing bytes, a polyglot
payload); only pixels survive. Files get random names so nothing in the path identifies the
person, and the account row refers to the file.
"""

from __future__ import annotations

import asyncio
import io
import os
import secrets
import warnings
from dataclasses import dataclass
from pathlib import Path

from PIL import Image, UnidentifiedImageError

from shared.private_files import private_folder, write_private

__all__ = [
    "MEDIA_TYPES",
    "InvalidPicture",
    "PictureLimits",
    "PictureStore",
    "PictureTooLarge",
    "normalise_picture",
]

# Content-Type → the format Pillow must find when it decodes the bytes.
MEDIA_TYPES = {"image/png": "PNG", "image/jpeg": "JPEG", "image/webp": "WEBP"}


@dataclass(frozen=True)
class PictureLimits:
    """Upload limits: bytes on the wire and pixels per side."""

    max_bytes: int = 5 * 1024 * 1024
    max_side: int = 4096


class InvalidPicture(Exception):
    """The bytes are not a picture of the declared type."""


class PictureTooLarge(Exception):
    """The picture exceeds the byte or pixel limits."""


def normalise_picture(data: bytes, media_type: str, limits: PictureLimits) -> bytes:
    """Decode ``data`` as ``media_type`` within ``limits`` and return it as a fresh PNG."""
    if len(data) > limits.max_bytes:
        raise PictureTooLarge
    expected = MEDIA_TYPES.get(media_type)
    if expected is None:
        raise InvalidPicture
    with warnings.catch_warnings():
        # Pillow warns (then errors) on decompression bombs; treat the warning as the error.
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        try:
            with Image.open(io.BytesIO(data), formats=[expected]) as image:
                width, height = image.size
                if width > limits.max_side or height > limits.max_side:
                    raise PictureTooLarge
                image.load()
                converted = image.convert("RGBA" if _has_alpha(image) else "RGB")
        except (Image.DecompressionBombWarning, Image.DecompressionBombError):
            raise PictureTooLarge from None
        except (UnidentifiedImageError, OSError, SyntaxError, ValueError):
            raise InvalidPicture from None
    out = io.BytesIO()
    converted.save(out, format="PNG", optimize=True)
    return out.getvalue()


def _has_alpha(image: Image.Image) -> bool:
    return image.mode in ("RGBA", "LA", "PA") or "transparency" in image.info


class PictureStore:
    """PNG files under one directory, named at random."""

    def __init__(self, directory: Path, limits: PictureLimits | None = None) -> None:
        self.directory = directory
        self.limits = limits or PictureLimits()
        # Pillow's own process-wide guard, checked as the header is read, set to our limit; the
        # explicit side check in normalise_picture stays the rule if another part resets it.
        Image.MAX_IMAGE_PIXELS = self.limits.max_side**2

    async def save(self, data: bytes, media_type: str) -> str:
        """Check, re-encode and store a picture; return its file name."""
        png = await asyncio.to_thread(normalise_picture, data, media_type, self.limits)
        name = f"{secrets.token_hex(16)}.png"
        await asyncio.to_thread(self._write, name, png)
        return name

    def _write(self, name: str, png: bytes) -> None:
        private_folder(self.directory)
        partial = self.directory / f".{name}.part"
        write_private(partial, png)
        os.replace(partial, self.directory / name)

    async def read(self, name: str) -> bytes | None:
        """The stored PNG, or None if the file is gone."""
        try:
            return await asyncio.to_thread((self.directory / _plain(name)).read_bytes)
        except FileNotFoundError:
            return None

    def delete(self, name: str | None) -> None:
        """Remove a stored picture; a missing file is fine."""
        if name is not None:
            (self.directory / _plain(name)).unlink(missing_ok=True)


def _plain(name: str) -> str:
    # Names come from our own table, but never let one climb out of the directory.
    if "/" in name or "\\" in name or name.startswith("."):
        raise ValueError("not a picture file name")
    return name
