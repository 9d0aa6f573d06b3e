"""Division code structure: lengths per level, parent prefixes, grid sequences."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from geo.codes import (
    CODE_LENGTH,
    Level,
    code_problems,
    grid_code,
    level_of,
    parent_code,
)


@pytest.mark.parametrize(
    ("code", "level", "parent"),
    [
        ("110102", Level.DISTRICT, None),
        ("110102020", Level.STREET, "110102"),
        ("110102020001", Level.COMMUNITY, "110102020"),
        ("110102020001007", Level.GRID, "110102020001"),
    ],
)
def test_level_and_parent_follow_from_length(code: str, level: Level, parent: str | None) -> None:
    assert level_of(code) is level
    assert parent_code(code) == parent
    assert code_problems(code, level, parent) == []


@pytest.mark.parametrize("bad", ["11010", "1101020", "11010a", "", "1101020200010071"])
def test_codes_of_no_level_are_rejected(bad: str) -> None:
    with pytest.raises(ValueError):
        level_of(bad)


def test_code_problems_name_length_prefix_and_sequence() -> None:
    assert "9 digits" in code_problems("11010202", Level.STREET)[0]
    assert "does not start with" in code_problems("110106002", Level.STREET, "110102")[0]
    assert "sequence 000" in code_problems("110102020001000", Level.GRID)[0]


@given(
    community=st.from_regex(r"\A11010[126][0-9]{6}\Z", fullmatch=True),
    sequence=st.integers(min_value=1, max_value=999),
)
def test_grid_codes_nest_in_their_community(community: str, sequence: int) -> None:
    code = grid_code(community, sequence)
    assert len(code) == CODE_LENGTH[Level.GRID]
    assert code.startswith(community) and int(code[-3:]) == sequence
    assert parent_code(code) == community
    assert code_problems(code, Level.GRID, community) == []


@pytest.mark.parametrize("sequence", [0, 1000, -1])
def test_grid_sequence_outside_1_to_999_is_refused(sequence: int) -> None:
    with pytest.raises(ValueError):
        grid_code("110102020001", sequence)
