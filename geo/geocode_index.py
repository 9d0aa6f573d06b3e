"""The geocoder's index over a standard address register, built once.

The register is a frame with the columns of ``grids.address_checks.COLUMNS`` (``id, text,
kind, road, number, suffix, side, name, building, group, lon, lat`` and the four codes);
names and roads are keyed by their normalised spelling, positions kept in EPSG:4548 metres.
"""

from __future__ import annotations

import gc
from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from rapidfuzz.distance import Levenshtein
from scipy.spatial import cKDTree

from geo.address_text import Aliases, admin_forms, normalize
from geo.crs import metric_xy

CODE_COLUMNS = ("grid_code", "community_code", "street_code", "district_code")
TEXT_COLUMNS = ("text", "kind", "road", "suffix", "side", "name", *CODE_COLUMNS)
NUMBER_COLUMNS = ("number", "building", "group")
ROAD_GENERICS = ("大街", "胡同", "街", "路", "巷", "条")
TYPO_MIN_LENGTH = 3
"""Names at least this long are found with one character wrong, missing or extra."""
DOOR_KINDS = ("plate", "compound")
"""Kinds that a road and a door number reach: a plate, or a 号院 (a compound with a number)."""


@dataclass
class Side:
    """The plain door numbers on one side of a road, ascending, with their rows."""

    numbers: np.ndarray
    rows: np.ndarray


@dataclass
class Road:
    """One road's door entries, buildings of its 号院, sides, and its middle and half length."""

    name: str
    doors: dict[tuple[int, str], int] = field(default_factory=dict)
    buildings: dict[tuple[int, str, int], int] = field(default_factory=dict)
    sides: dict[str, Side] = field(default_factory=dict)
    middle: int = -1
    half_length_m: float = 0.0


@dataclass
class Place:
    """A named compound, place or village: its rows and, for compounds, buildings by number."""

    name: str
    kind: str
    row: int = -1
    buildings: dict[int, int] = field(default_factory=dict)
    houses: dict[tuple[int, int], int] = field(default_factory=dict)
    groups: dict[int, list[int]] = field(default_factory=dict)


class RegisterIndex:
    """Arrays of a register plus lookups by road, name and area code."""

    def __init__(
        self, register: pd.DataFrame, *, area_names: Mapping[str, str], aliases: Aliases
    ) -> None:
        # the build allocates about a million small objects, none part of a cycle: in a
        # service's large heap, the collections they trigger took half the build's time
        enabled = gc.isenabled()
        gc.disable()
        try:
            self._build(register, area_names, aliases)
        finally:
            if enabled:
                gc.enable()

    def _build(
        self, register: pd.DataFrame, area_names: Mapping[str, str], aliases: Aliases
    ) -> None:
        frame = _complete(register)
        self.aliases = aliases
        self.text = frame["text"].astype(str).to_numpy()
        self.kind = frame["kind"].astype(str).to_numpy()
        self.lon = frame["lon"].to_numpy(dtype=float)
        self.lat = frame["lat"].to_numpy(dtype=float)
        x, y = metric_xy(self.lon, self.lat)
        self.xy = np.column_stack([x, y])
        self.codes = {c: frame[c].astype(str).to_numpy() for c in CODE_COLUMNS}
        self.roads = self._roads(frame)
        self.places = self._places(frame)
        self.area_names = dict(area_names)
        self.forms = admin_forms(area_names, aliases=aliases)
        self.areas = self._area_rows()
        self.road_keys = sorted(self.roads)
        self.roads_by_stem: dict[str, list[str]] = defaultdict(list)
        for key in self.road_keys:
            self.roads_by_stem[road_stem(key)].append(key)
        self.place_keys = sorted(self.places)
        self.protected = frozenset(self.road_keys) | frozenset(self.place_keys)
        self.longest_key = max(map(len, self.protected), default=0)
        self.deletions = _deletions(self.protected)
        self.tree = cKDTree(self.xy)
        self.keys_in_area = self._keys_in_area()

    def one_edit(self, text: str) -> list[str]:
        """Road and place keys one character away from ``text`` (replaced, missing or extra),
        for texts and keys of at least ``TYPO_MIN_LENGTH`` characters.

        Each key is indexed under itself and each of its one-character deletions, so two
        strings one edit apart always share an entry (symmetric deletion); the shared entry
        is then confirmed with the edit distance.
        """
        if len(text) < TYPO_MIN_LENGTH:
            return []
        found: set[str] = set()
        for variant in {text, *(text[:i] + text[i + 1 :] for i in range(len(text)))}:
            found.update(self.deletions.get(variant, ()))
        found.discard(text)
        return sorted(k for k in found if Levenshtein.distance(text, k, score_cutoff=1) == 1)

    def key(self, text: str) -> str:
        """The normalised spelling used as a lookup key."""
        return normalize(text, aliases=self.aliases)

    def _name_keys(self, names: pd.Series) -> list[str]:
        """``key`` of each name, each distinct name normalised once (a road names hundreds
        of rows)."""
        said = names.astype(str).tolist()
        keys = {name: self.key(name) for name in dict.fromkeys(said)}
        return [keys[name] for name in said]

    def _roads(self, frame: pd.DataFrame) -> dict[str, Road]:
        roads: dict[str, Road] = {}
        plain: dict[tuple[str, str], list[tuple[int, int]]] = defaultdict(list)
        numbered = frame[frame["road"].astype(str) != ""]
        for i, key, name, kind, number, suffix, side, building in zip(
            numbered.index, self._name_keys(numbered["road"]),
            *_lists(numbered, "road", "kind", "number", "suffix", "side", "building"), strict=True,
        ):  # fmt: skip
            road = roads.setdefault(key, Road(str(name)))
            if number is None:
                continue
            n, sfx = int(number), str(suffix)
            if kind in DOOR_KINDS:
                road.doors.setdefault((n, sfx), int(i))
                if not sfx:
                    plain[(key, str(side) or ("odd" if n % 2 else "even"))].append((n, int(i)))
            elif kind == "building" and building is not None:
                road.buildings.setdefault((n, sfx, int(building)), int(i))
        for (key, side), pairs in plain.items():
            pairs.sort()
            roads[key].sides[side] = Side(
                np.array([n for n, _ in pairs]), np.array([i for _, i in pairs])
            )
        for road in roads.values():
            self._road_extent(road)
        return roads

    def _road_extent(self, road: Road) -> None:
        """The door nearest the middle of the road's doors, and half their spread (metres)."""
        rows = np.array(sorted(set(road.doors.values())))
        if len(rows) == 0:
            return
        xy = self.xy[rows]
        centred = xy - xy.mean(axis=0)
        if len(rows) > 1:
            _, _, axes = np.linalg.svd(centred, full_matrices=False)
            along = centred @ axes[0]
        else:
            along = np.zeros(1)
        middle = (along.min() + along.max()) / 2
        road.middle = int(rows[int(np.argmin(np.abs(along - middle)))])
        road.half_length_m = float((along.max() - along.min()) / 2)

    def _places(self, frame: pd.DataFrame) -> dict[str, Place]:
        places: dict[str, Place] = {}
        named = frame[frame["name"].astype(str) != ""]
        for i, key, name, kind, number, building, group in zip(
            named.index, self._name_keys(named["name"]),
            *_lists(named, "name", "kind", "number", "building", "group"), strict=True,
        ):  # fmt: skip
            place_kind = (
                "village" if kind == "village" else ("poi" if kind == "poi" else "compound")
            )
            place = places.setdefault(key, Place(str(name), place_kind))
            if kind in ("compound", "poi"):
                place.row = int(i)
            elif kind == "building" and building is not None:
                place.buildings.setdefault(int(building), int(i))
            elif kind == "village" and group is not None:
                place.groups.setdefault(int(group), []).append(int(i))
                if number is not None:
                    place.houses.setdefault((int(group), int(number)), int(i))
        return places

    def _keys_in_area(self) -> dict[str, list[str]]:
        """Road and place keys with an entry in each street and community (sorted)."""
        rows_of = {key: set(road.doors.values()) for key, road in self.roads.items()}
        for key, place in self.places.items():
            rows = {place.row, *place.buildings.values(), *place.houses.values()} - {-1}
            rows_of.setdefault(key, set()).update(rows)
        out: dict[str, set[str]] = defaultdict(set)
        for key, rows in rows_of.items():
            for row in rows:
                out[self.codes["street_code"][row]].add(key)
                out[self.codes["community_code"][row]].add(key)
        return {code: sorted(keys) for code, keys in out.items()}

    def _area_rows(self) -> dict[str, np.ndarray]:
        """Rows of the register in each district, street and community named."""
        out: dict[str, np.ndarray] = {}
        for column in ("district_code", "street_code", "community_code"):
            for code, rows in (
                pd.Series(self.codes[column]).groupby(self.codes[column]).groups.items()
            ):
                if str(code) in self.area_names:
                    out[str(code)] = np.asarray(rows, dtype=np.int64)
        return out

    def crossing(self, first: Road, second: Road) -> tuple[int, int, float]:
        """The nearest pair of doors of two roads (one row each) and their distance (m)."""
        a = np.array(sorted(set(first.doors.values())), dtype=np.int64)
        b = np.array(sorted(set(second.doors.values())), dtype=np.int64)
        if len(a) == 0 or len(b) == 0:
            return -1, -1, float("inf")
        gaps = np.linalg.norm(self.xy[a][:, None, :] - self.xy[b][None, :, :], axis=2)
        i, j = np.unravel_index(int(np.argmin(gaps)), gaps.shape)
        return int(a[i]), int(b[j]), float(gaps[i, j])

    def centre_of(self, rows: np.ndarray) -> tuple[int, float]:
        """The row nearest the mean of ``rows`` and the distance holding 90 % of them (m)."""
        xy = self.xy[rows]
        mean = xy.mean(axis=0)
        distances = np.linalg.norm(xy - mean, axis=1)
        nearest = int(rows[int(np.argmin(distances))])
        spread = float(np.quantile(np.linalg.norm(xy - self.xy[nearest], axis=1), 0.9))
        return nearest, max(spread, 10.0)


def _lists(frame: pd.DataFrame, *columns: str) -> list[list[Any]]:
    """Columns as plain lists (iterating pandas' string and nullable arrays is slow); absent
    numbers are None."""
    out: list[list[Any]] = []
    for column in columns:
        values = frame[column]
        if column in NUMBER_COLUMNS:
            out.append(values.astype(object).where(values.notna(), None).tolist())
        else:
            out.append(values.astype(str).tolist())
    return out


def _deletions(keys: frozenset[str]) -> dict[str, list[str]]:
    """Each key long enough for typos under itself and its one-character deletions."""
    out: dict[str, list[str]] = defaultdict(list)
    for key in sorted(keys):
        if len(key) >= TYPO_MIN_LENGTH:
            for variant in {key, *(key[:i] + key[i + 1 :] for i in range(len(key)))}:
                out[variant].append(key)
    return dict(out)


def road_stem(name: str) -> str:
    """A road's name without its generic (瑞庆街 → 瑞庆, 裕福胡同 → 裕福)."""
    return next((name[: -len(g)] for g in ROAD_GENERICS if name.endswith(g)), name)


def _complete(register: pd.DataFrame) -> pd.DataFrame:
    """The register with every column, blank text as "" and absent numbers as NA."""
    frame = register.reset_index(drop=True)
    out = pd.DataFrame(index=frame.index)
    for column in TEXT_COLUMNS:
        values = frame[column] if column in frame else pd.Series("", index=frame.index)
        out[column] = values.astype(object).where(values.notna(), "").astype(str)
    for column in NUMBER_COLUMNS:
        values = frame[column] if column in frame else pd.Series(None, index=frame.index)
        out[column] = pd.to_numeric(values, errors="coerce").astype("Float64")
    out["lon"] = frame["lon"].to_numpy(dtype=float)
    out["lat"] = frame["lat"].to_numpy(dtype=float)
    return out
