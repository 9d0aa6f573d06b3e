"""Administrative levels and their codes (GB/T 2260 + NBS + DB11/T 2157).

district 6 digits -> street 9 -> community 12 -> grid cell 15. A child's code starts
with its parent's code; a grid cell's last three digits are its sequence inside the
community, numbered west->east then north->south.
"""

from __future__ import annotations

from enum import StrEnum


class Level(StrEnum):
    DISTRICT = "district"
    STREET = "street"
    COMMUNITY = "community"
    GRID = "grid"


CODE_LENGTH: dict[Level, int] = {
    Level.DISTRICT: 6,
    Level.STREET: 9,
    Level.COMMUNITY: 12,
    Level.GRID: 15,
}

PARENT_LEVEL: dict[Level, Level | None] = {
    Level.DISTRICT: None,
    Level.STREET: Level.DISTRICT,
    Level.COMMUNITY: Level.STREET,
    Level.GRID: Level.COMMUNITY,
}

CHILD_LEVEL: dict[Level, Level | None] = {
    Level.DISTRICT: Level.STREET,
    Level.STREET: Level.COMMUNITY,
    Level.COMMUNITY: Level.GRID,
    Level.GRID: None,
}

LEVELS_TOP_DOWN: tuple[Level, ...] = (Level.DISTRICT, Level.STREET, Level.COMMUNITY, Level.GRID)
MAX_GRID_SEQUENCE = 999


def level_of(code: str) -> Level:
    """Return the level a code's length implies; ValueError when it fits none."""
    for level, length in CODE_LENGTH.items():
        if len(code) == length and code.isdigit():
            return level
    raise ValueError(f"{code!r} is not a 6/9/12/15-digit division code")


def parent_code(code: str) -> str | None:
    """Return the parent's code (the prefix one level up), or None for a district."""
    level = level_of(code)
    parent = PARENT_LEVEL[level]
    return None if parent is None else code[: CODE_LENGTH[parent]]


def code_problems(code: str, level: Level, parent: str | None = None) -> list[str]:
    """Explain what is wrong with ``code`` at ``level`` under ``parent`` (empty when fine)."""
    problems: list[str] = []
    length = CODE_LENGTH[level]
    if not (isinstance(code, str) and code.isdigit() and len(code) == length):
        problems.append(f"code {code!r} must be {length} digits for level {level}")
        return problems
    if PARENT_LEVEL[level] is not None and parent is not None and not code.startswith(parent):
        problems.append(f"code {code} does not start with its parent's code {parent}")
    if level is Level.GRID and code.endswith("000"):
        problems.append(f"grid code {code} has sequence 000 (sequences start at 001)")
    return problems


def grid_code(community_code: str, sequence: int) -> str:
    """Build a 15-digit grid-cell code from a community code and a 1-based sequence."""
    if level_of(community_code) is not Level.COMMUNITY:
        raise ValueError(f"{community_code!r} is not a community code")
    if not 1 <= sequence <= MAX_GRID_SEQUENCE:
        raise ValueError(f"grid sequence {sequence} outside 1..{MAX_GRID_SEQUENCE}")
    return f"{community_code}{sequence:03d}"
