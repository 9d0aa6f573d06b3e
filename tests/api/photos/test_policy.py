"""The after-photo policy file: the shipped one reads, the longest code decides, and each
mistake names its line and column."""

from __future__ import annotations

from pathlib import Path

import pytest

from api.config import Settings
from api.photos.policy import POLICY_FILE, AfterPhotoPolicy, read_policy
from api.photos.service import after_photo_policy
from geo.datafile import DataFileError

HEADER = "category,min_photos,description\n"
CODES = {"E03", "E0303", "E0301", "E04", "E0401"}


def _read(tmp_path: Path, text: str, max_photos: int = 4) -> AfterPhotoPolicy:
    path = tmp_path / POLICY_FILE
    path.write_text(text, encoding="utf-8")
    return read_policy(path, max_photos=max_photos, categories=CODES)


def test_the_shipped_policy_reads() -> None:
    policy = after_photo_policy(Settings(environment="test"))
    assert policy.default == 0


def test_the_longest_code_decides(tmp_path: Path) -> None:
    policy = _read(
        tmp_path,
        "# a comment\n" + HEADER + '*,1,"all"\nE03,2,\n\nE0303,0,"demolition is filmed"\n',
    )
    assert policy.required("E0303") == 0
    assert policy.required("E0301") == 2
    assert policy.required("E0401") == 1


def test_without_a_default_other_categories_need_none(tmp_path: Path) -> None:
    assert _read(tmp_path, HEADER + "E04,3,\n").required("E0303") == 0


@pytest.mark.parametrize(
    ("body", "line", "column", "words"),
    [
        ("E03,1,\nE03,2,\n", 3, "category", "duplicate category 'E03' (also line 2)"),
        ("E3,1,\n", 2, "category", "not a category code"),
        ("e0303,1,\n", 2, "category", "not a category code"),
        ("E0599,1,\n", 2, "category", "unknown category 'E0599'"),
        ("E03,one,\n", 2, "min_photos", "whole number"),
        ("E03,-1,\n", 2, "min_photos", "whole number"),
        ("E03,１,\n", 2, "min_photos", "whole number"),
        ("E03,5,\n", 2, "min_photos", "more than the 4 photos"),
        ("E03,,\n", 2, "min_photos", "min_photos is empty"),
    ],
)
def test_a_mistake_names_its_line_and_column(
    tmp_path: Path, body: str, line: int, column: str, words: str
) -> None:
    with pytest.raises(DataFileError) as caught:
        _read(tmp_path, HEADER + body)
    assert (caught.value.line, caught.value.column) == (line, column)
    assert words in caught.value.detail


def test_a_header_without_min_photos_is_refused(tmp_path: Path) -> None:
    with pytest.raises(DataFileError) as caught:
        _read(tmp_path, "category,description\nE03,x\n")
    assert caught.value.line == 1 and "min_photos" in str(caught.value)
