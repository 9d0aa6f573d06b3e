"""Thumbnails of photos (pure: bytes in, bytes out, with Pillow).

Photos are checked on arrival by their first bytes only (JPEG, PNG or WebP), so a stored photo
may still fail to decode: :func:`thumbnail` raises :class:`UnreadableImage` for it, as for an
image of more than ``MAX_PIXELS`` pixels (a 2 MB PNG of one colour can hold hundreds of
megapixels, which would take gigabytes to decode).
"""

from __future__ import annotations

import struct
from dataclasses import dataclass
from io import BytesIO

from PIL import Image, ImageOps

THUMB_SIDE = 320
"""The longest side of a thumbnail, in pixels."""

MAX_PIXELS = 40_000_000
"""The largest photo (width × height) a thumbnail is made of."""


class UnreadableImage(ValueError):
    """The bytes are not an image Pillow can decode (or one too large to decode)."""


@dataclass(frozen=True)
class Thumbnail:
    """A resized photo."""

    content_type: str
    width: int
    height: int
    data: bytes


def thumbnail(data: bytes, *, side: int = THUMB_SIDE) -> Thumbnail:
    """The photo ``data`` turned upright (EXIF orientation) and shrunk to fit ``side`` × ``side``
    (never enlarged): PNG for a PNG or a photo with transparency, JPEG otherwise.

    >>> from PIL import Image
    >>> out = BytesIO()
    >>> Image.new("RGB", (1000, 500), "red").save(out, "WEBP")
    >>> small = thumbnail(out.getvalue(), side=320)
    >>> small.content_type, small.width, small.height
    ('image/jpeg', 320, 160)
    >>> thumbnail(b"\\xff\\xd8\\xff not really a JPEG")
    Traceback (most recent call last):
    ...
    api.photos.thumbnails.UnreadableImage: the photo cannot be decoded (cannot identify image file)
    """
    try:
        with Image.open(BytesIO(data)) as opened:
            if opened.width * opened.height > MAX_PIXELS:
                raise UnreadableImage(
                    f"the photo has {opened.width} × {opened.height} pixels, "
                    f"more than {MAX_PIXELS:,} to decode"
                )
            as_png = opened.format == "PNG"
            opened.draft("RGB", (side, side))  # a JPEG decodes at a reduced scale
            image = ImageOps.exif_transpose(opened)
            image.thumbnail((side, side), Image.Resampling.LANCZOS)
            transparent = image.mode in ("RGBA", "LA", "PA") or "transparency" in image.info
            out = BytesIO()
            if as_png or transparent:
                if image.mode not in ("RGB", "RGBA", "L", "LA", "P"):
                    image = image.convert("RGBA")
                image.save(out, "PNG", optimize=True)
                kind = "image/png"
            else:
                image.convert("RGB").save(out, "JPEG", quality=82, optimize=True)
                kind = "image/jpeg"
    except UnreadableImage:
        raise
    except (
        OSError,
        ValueError,
        SyntaxError,
        EOFError,
        struct.error,
        Image.DecompressionBombError,
    ) as exc:
        reason = str(exc).split(" <")[0] or type(exc).__name__
        raise UnreadableImage(f"the photo cannot be decoded ({reason})") from exc
    return Thumbnail(kind, image.width, image.height, out.getvalue())
