"""Real images for the photo tests (made with Pillow), as bytes and as report photos."""

from __future__ import annotations

import base64
from io import BytesIO
from typing import Any

from PIL import Image


def image(width: int, height: int, fmt: str = "JPEG", mode: str = "RGB", **save: Any) -> bytes:
    """A ``width`` × ``height`` image in ``fmt``: red on the left half, blue on the right."""
    picture = Image.new(mode, (width, height), (200, 30, 30, 255)[: len(mode)])
    picture.paste((30, 30, 200, 128)[: len(mode)], (width // 2, 0, width, height))
    out = BytesIO()
    picture.save(out, fmt, **save)
    return out.getvalue()


def photo(data: bytes, content_type: str = "image/jpeg") -> dict[str, str]:
    """The photo as a report or a resolution sends it."""
    return {"content_type": content_type, "data": base64.b64encode(data).decode()}


def decoded(data: bytes) -> Image.Image:
    """The image the bytes hold (fully decoded)."""
    picture = Image.open(BytesIO(data))
    picture.load()
    return picture
