"""The first-receiver tolerance is data (``data/routing.toml``), checked when read."""

from __future__ import annotations

from pathlib import Path

import pytest

from api.config import Settings
from api.routing.service import lead_tolerance_from


def test_the_shipped_tolerance_is_five_points() -> None:
    assert lead_tolerance_from(Settings().data_dir) == pytest.approx(0.05)


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("lead_tolerance_points = 60\n", "0 to 50"),
        ("lead_tolerance_points = -1\n", "0 to 50"),
        ('lead_tolerance_points = "5"\n', "0 to 50"),
        ("lead_tolerance_points = true\n", "0 to 50"),
        ("other = 5\n", "lead_tolerance_points"),
        ("lead_tolerance_points = \n", "lead_tolerance_points"),
    ],
)
def test_a_wrong_tolerance_is_refused_naming_file_and_key(
    tmp_path: Path, text: str, reason: str
) -> None:
    (tmp_path / "routing.toml").write_text(text, encoding="utf-8")
    with pytest.raises(ValueError, match=r"routing\.toml: lead_tolerance_points") as info:
        lead_tolerance_from(tmp_path)
    assert reason in str(info.value)
