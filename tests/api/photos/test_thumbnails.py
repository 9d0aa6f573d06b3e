"""Thumbnails (pure): fitted, never enlarged, upright, and refused when they cannot be made."""

from __future__ import annotations

from io import BytesIO

import pytest
from PIL import Image

from api.photos.thumbnails import MAX_PIXELS, UnreadableImage, thumbnail
from tests.api.photos.images import decoded, image


@pytest.mark.parametrize(
    ("size", "fitted"),
    [
        ((800, 600), (320, 240)),
        ((600, 800), (240, 320)),
        ((320, 10), (320, 10)),
        ((50, 40), (50, 40)),
    ],
)
def test_a_thumbnail_fits_the_side_without_growing(
    size: tuple[int, int], fitted: tuple[int, int]
) -> None:
    made = thumbnail(image(*size))
    assert (made.width, made.height) == fitted
    assert decoded(made.data).size == fitted and made.content_type == "image/jpeg"


def test_webp_becomes_jpeg_and_png_stays_png() -> None:
    assert thumbnail(image(640, 480, "WEBP")).content_type == "image/jpeg"
    made = thumbnail(image(640, 480, "PNG"))
    assert made.content_type == "image/png" and decoded(made.data).format == "PNG"


def test_a_photo_taken_sideways_is_turned_upright() -> None:
    exif = Image.Exif()
    exif[0x0112] = 6  # orientation: rotate 90° clockwise to view
    made = thumbnail(image(800, 400, exif=exif.tobytes()))
    assert (made.width, made.height) == (160, 320)


def test_too_many_pixels_are_not_decoded() -> None:
    out = BytesIO()
    side = int(MAX_PIXELS**0.5) + 10
    Image.new("1", (side, side)).save(out, "PNG")  # a few kB that would decode to 40 MB
    with pytest.raises(UnreadableImage, match="pixels"):
        thumbnail(out.getvalue())


@pytest.mark.parametrize(
    "data",
    [b"", b"\xff\xd8\xff" + b"\0" * 40, b"\x89PNG\r\n\x1a\n" + b"\0" * 64, image(200, 100)[:300]],
)
def test_bytes_that_do_not_decode_are_refused(data: bytes) -> None:
    with pytest.raises(UnreadableImage):
        thumbnail(data)
