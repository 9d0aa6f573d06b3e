"""Geocoding against the city's own standard address register, and reverse geocoding.

``Geocoder(register, area_names=...)`` indexes the register once (``geo.geocode_index``).
``geocode(text)`` normalises and splits the text (``geo.address_text``), matches its road,
compound, place or village name exactly or fuzzily (rapidfuzz), then the door number,
号院, building and unit:

* a door number on the register → that plate (level ``plate``);
* a number missing between two known plates on its side of the road → a position
  interpolated between them, uncertain by half their gap;
* an unknown number, or none → the road (level ``road``), uncertain by half its length;
* two roads named without a number → where their doors come nearest, if within
  ``CROSSING_MAX_M`` (a crossing, level ``road``);
* an area named alone → the area (level ``community`` or ``street``).

A name of three characters or more with one character wrong, missing or extra scores at
least ``ONE_EDIT_SCORE`` (every such name of the register is weighed, not only the best few
of the fuzzy search); what follows it decides among them: a road with the door said keeps
the score, one without it gives at best an interpolated number five points lower (its
middle falls below the threshold), a plain plate where 号院 was said loses
``NO_YUAN_LOSS``.

Scores run 0-100; an area named in the text that the candidate is not in costs points,
one it is in makes up part of what a fuzzy name lost.
Below ``MATCH_THRESHOLD`` the answer is ``unknown`` with no candidates (never a guess); a
rival within ``AMBIGUITY_MARGIN`` points, more than ``SAME_PLACE_M`` away and not merely a
coarser answer around the best one makes it ``ambiguous``.
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import replace

import numpy as np
import pandas as pd
from rapidfuzz import fuzz, process

from geo.address_text import AddressParts, Aliases, read_aliases, split_address
from geo.crs import metric_xy, storage_xy
from geo.geocode_answer import (
    AMBIGUITY_MARGIN,
    MATCH_THRESHOLD,
    Candidate,
    GeocodeResult,
    ReverseResult,
    consistent,
    distinct,
    rank,
)
from geo.geocode_index import TYPO_MIN_LENGTH, Place, RegisterIndex, Road, road_stem

FUZZY_CUTOFF = 60.0
FUZZY_LIMIT = 10
REVERSE_MAX_M = 100.0
CROSSING_MAX_M = 80.0
"""Two roads whose nearest doors are farther apart than this do not meet."""
CROSSING_HALF = 10.0
SAME_STEM_SCORE = 85.0
"""The name score of a road whose name differs from the one said only in its generic."""
ONE_EDIT_SCORE = 80.0
"""The least name score of a name one character away from the one said (replaced, missing
or extra; names of ``TYPO_MIN_LENGTH`` characters or more). It reaches ``MATCH_THRESHOLD``
only when what follows the name is found there too: a short name with a wrong character
and a door number its road lacks stays unknown."""
NO_YUAN_LOSS = 5.0
"""Points lost when the text says 号院 and the register has a plain plate at that door."""
UNSAID_YUAN_LOSS = 1.0
"""Points lost when the register has a 号院 at the door and the text a plain number: callers
often drop the 院, so little, but a plate that reads as said ranks first."""
ADMIN_PENALTY = {6: 25.0, 9: 15.0, 12: 10.0}
"""Points lost when the text names a district, street or community the candidate is not in."""
ADMIN_SUPPORT = {6: 0.15, 9: 0.4, 12: 0.5}
"""Share of the missing points a fuzzy name regains when the candidate lies in every area
the text names (the smaller the area, the fewer names it holds that a typo could hit)."""
UNCERTAINTY_M = {"plate": 10.0, "building": 15.0, "poi": 30.0, "compound": 60.0}
DIRECTIONS = ("东", "东北", "北", "西北", "西", "西南", "南", "东南")


class Geocoder:
    """Geocode and reverse geocode against one register (pure, in memory).

    >>> import pandas as pd
    >>> row = dict(id="A1", kind="plate", road="瑞庆街", number=12, suffix="", side="even",
    ...            name="", building=None, group=None, lon=116.39, lat=39.91, grid_code="",
    ...            community_code="", street_code="", district_code="")
    >>> geocoder = Geocoder(pd.DataFrame([row | {"text": "瑞庆街12号"}]))
    >>> answer = geocoder.geocode("瑞庆街十二号附近")
    >>> answer.status, answer.candidates[0].text, answer.candidates[0].level
    ('matched', '瑞庆街12号', 'plate')
    >>> geocoder.reverse(116.3902, 39.91).text  # about 17 m east of the plate
    '瑞庆街12号东侧约20米'
    """

    def __init__(
        self,
        register: pd.DataFrame,
        *,
        area_names: Mapping[str, str] | None = None,
        aliases: Mapping[str, str] | None = None,
    ) -> None:
        table = read_aliases() if aliases is None else aliases
        self.index = RegisterIndex(register, area_names=area_names or {}, aliases=Aliases(table))

    # -- forward -------------------------------------------------------------------------
    def geocode(self, text: str, *, limit: int = 5) -> GeocodeResult:
        """Candidates for an address in words, best first (see the module docstring)."""
        parts = self.parse(text)
        found = sorted(self._candidates(parts), key=rank)
        found = distinct(found)
        if not found or found[0].score < MATCH_THRESHOLD:
            return GeocodeResult("unknown", [])
        best = found[0]
        kept = [c for c in found if c.score >= MATCH_THRESHOLD][:limit]
        rivals = [c for c in kept[1:] if best.score - c.score <= AMBIGUITY_MARGIN
                  and not consistent(best, c)]  # fmt: skip
        return GeocodeResult("ambiguous" if rivals else "matched", kept)

    def parse(self, text: str) -> AddressParts:
        """The parts of ``text`` as this register's names and areas read them."""
        index = self.index
        return split_address(index.key(text), forms=index.forms, protected=index.protected)

    def _candidates(self, parts: AddressParts) -> Iterator[Candidate]:
        names = self._names(parts.head, parts.admin)
        names |= dict.fromkeys(self._names_with_numbers(parts), 100.0)
        for key in [key for key, score in names.items() if score == 100.0]:
            for sibling in self._namesakes(key, parts):
                names.setdefault(sibling, SAME_STEM_SCORE)
        crossing = self._crossing(names, parts)
        if crossing is not None:
            yield crossing
        for key, score in names.items():
            if key in self.index.roads:
                # a road named beside the other road of a crossing explains half the text
                lost = CROSSING_HALF if crossing is not None else 0.0
                yield from self._road(self.index.roads[key], score - lost, parts)
            if key in self.index.places:
                yield from self._place(self.index.places[key], score, parts)
        explained = any(score >= MATCH_THRESHOLD for score in names.values())
        if parts.admin and not explained:
            yield from self._area(parts)

    def _crossing(self, names: dict[str, float], parts: AddressParts) -> Candidate | None:
        """Where two roads named exactly and without a number meet (瑞庆街与嘉泰大街交叉口)."""
        roads = [key for key, score in names.items() if score == 100.0 and key in self.index.roads]
        if len(roads) != 2 or parts.number is not None:
            return None
        first, second = (self.index.roads[key] for key in sorted(roads, key=parts.head.find))
        a, b, gap = self.index.crossing(first, second)
        if gap > CROSSING_MAX_M:
            return None
        xy = (self.index.xy[a] + self.index.xy[b]) / 2
        lon, lat = storage_xy(xy[0], xy[1])
        matched = {"road": first.name, "crossing": second.name}
        entry = self._entry(a, 100.0, parts, "road", matched, "plate")
        text = f"{first.name}与{second.name}交叉口"
        return replace(entry, text=text, kind="crossing", lon=float(lon), lat=float(lat),
                       uncertainty_m=max(gap / 2, 30.0))  # fmt: skip

    def _names(self, head: str, admin: tuple[str, ...]) -> dict[str, float]:
        """Road and place keys for ``head`` with their name scores: exact substrings (100),
        fuzzy matches of what the exact ones leave over, and fuzzy matches of the whole head
        among the names of the streets and communities the text names."""
        index = self.index
        exact = _substrings(head, index.protected, index.longest_key)
        scores = dict.fromkeys(exact, 100.0)
        leftover = head
        for key in sorted(exact, key=len, reverse=True):
            leftover = leftover.replace(key, "")
        local = [index.keys_in_area.get(code, []) for code in admin if len(code) >= 9]
        searches = [(head, keys) for keys in local if len(head) >= 2]
        if len(leftover) >= 2 and not (exact and len(leftover) < 3):
            searches += [(leftover, keys) for keys in (index.road_keys, index.place_keys, *local)]
            stem = road_stem(leftover)
            if len(stem) >= 2 and stem != leftover:  # 瑞庆路 for 瑞庆街: only the generic differs
                others = [key for key in index.roads_by_stem.get(stem, []) if key != leftover]
                scores |= dict.fromkeys(others, SAME_STEM_SCORE)
        for text, keys in searches:
            for key, score, _ in process.extract(
                text, keys, scorer=fuzz.ratio, limit=FUZZY_LIMIT, score_cutoff=FUZZY_CUTOFF
            ):
                scores[key] = max(scores.get(key, 0.0), float(score))
        # one character off: every such name, not only the best few of the fuzzy search (a
        # three-character road has dozens of rivals at the same ratio across a city)
        typed = {head} if head not in index.protected else set()
        if len(leftover) >= TYPO_MIN_LENGTH and leftover not in index.protected:
            typed.add(leftover)
        for text in typed:
            for key in index.one_edit(text):
                scores[key] = max(scores.get(key, 0.0), ONE_EDIT_SCORE)
        return scores

    def _namesakes(self, key: str, parts: AddressParts) -> list[str]:
        """Roads named like road ``key`` but for the generic (平昌街, 平昌大街) when ``key``
        lacks the door or building asked for: the caller may have meant one of them."""
        road = self.index.roads.get(key)
        if road is None or parts.number is None:
            return []
        door = (parts.number, parts.suffix)
        lacks = door not in road.doors or (
            parts.building is not None and (*door, parts.building) not in road.buildings
        )
        siblings = self.index.roads_by_stem.get(road_stem(key), [])
        return [sibling for sibling in siblings if sibling != key] if lacks else []

    def _names_with_numbers(self, parts: AddressParts) -> list[str]:
        """Place names that hold a door number themselves (黄寺大街24号商务楼), written out."""
        if parts.rest == parts.head:
            return []
        found = _substrings(parts.rest, self.index.protected, self.index.longest_key)
        return [key for key in found if key in self.index.places and key not in parts.head]

    def _road(self, road: Road, score: float, parts: AddressParts) -> Iterator[Candidate]:
        matched = {"road": road.name}
        n, suffix = parts.number, parts.suffix
        if n is None:
            yield self._road_level(road, score - (5.0 if parts.building else 0.0), parts, matched)
            return
        door = road.doors.get((n, suffix))
        if door is None and suffix and (n, "") in road.doors:  # 甲12 unknown: 12 is beside it
            door, suffix, score = road.doors[(n, "")], "", score - 5.0
        if door is not None:
            matched |= {"number": f"{suffix}{n}"}
            building = road.buildings.get((n, suffix, parts.building or 0))
            if building is not None:
                matched |= {"building": str(parts.building)} | _unit_room(parts)
                yield self._entry(building, score, parts, "plate", matched, "building")
            else:
                lost = 10.0 if parts.building else 0.0
                if parts.yuan and self.index.kind[door] != "compound":
                    lost += NO_YUAN_LOSS
                elif not parts.yuan and self.index.kind[door] == "compound":
                    lost += UNSAID_YUAN_LOSS
                yield self._entry(door, score - lost, parts, "plate", matched, "plate")
            return
        interpolated = self._interpolate(road, n, suffix, score, parts)
        if interpolated is not None:
            yield interpolated
        yield self._road_level(road, score - 15.0, parts, matched)

    def _interpolate(
        self, road: Road, n: int, suffix: str, score: float, parts: AddressParts
    ) -> Candidate | None:
        """A plate between the nearest known numbers on its side of the road, if any."""
        side = road.sides.get("odd" if n % 2 else "even")
        if side is None:
            return None
        at = int(np.searchsorted(side.numbers, n))
        if at == 0 or at == len(side.numbers):
            return None
        low, high = int(side.rows[at - 1]), int(side.rows[at])
        a, b = int(side.numbers[at - 1]), int(side.numbers[at])
        t = (n - a) / (b - a)
        xy = self.index.xy[low] * (1 - t) + self.index.xy[high] * t
        gap = float(np.linalg.norm(self.index.xy[high] - self.index.xy[low]))
        lon, lat = storage_xy(xy[0], xy[1])
        nearer = low if t <= 0.5 else high
        matched = {"road": road.name, "number": f"{suffix}{n}", "between": f"{a}号-{b}号"}
        base = self._entry(nearer, score - 5.0, parts, "plate", matched, "plate")
        return replace(base, text=f"{road.name}{suffix}{n}号", lon=float(lon), lat=float(lat),
                       uncertainty_m=max(gap / 2, UNCERTAINTY_M["plate"]))  # fmt: skip

    def _road_level(
        self, road: Road, score: float, parts: AddressParts, matched: dict[str, str]
    ) -> Candidate:
        entry = self._entry(road.middle, score, parts, "road", matched, "plate")
        return replace(entry, text=road.name, kind="road",
                       uncertainty_m=max(road.half_length_m, UNCERTAINTY_M["plate"]))  # fmt: skip

    def _place(self, place: Place, score: float, parts: AddressParts) -> Iterator[Candidate]:
        matched = {place.kind: place.name}
        if place.kind == "village":
            yield from self._village(place, score, parts, matched)
            return
        level = "poi" if place.kind == "poi" else "compound"
        building = place.buildings.get(parts.building or 0)
        if building is not None:
            matched |= {"building": str(parts.building)} | _unit_room(parts)
            yield self._entry(building, score, parts, level, matched, "building")
        elif place.row >= 0:
            said = f"{parts.number}号" in self.index.key(place.name)  # a number in the name
            lost = 10.0 if parts.building or (parts.number and not said) else 0.0
            yield self._entry(place.row, score - lost, parts, level, matched, place.kind)

    def _village(
        self, place: Place, score: float, parts: AddressParts, matched: dict[str, str]
    ) -> Iterator[Candidate]:
        house = place.houses.get((parts.group or 0, parts.number or 0))
        if house is not None:
            matched |= {"group": str(parts.group), "number": str(parts.number)}
            yield self._entry(house, score, parts, "plate", matched, "plate")
            return
        rows = place.groups.get(parts.group or 0)
        if rows is not None:
            matched |= {"group": str(parts.group)}
            lost = 10.0 if parts.number else 0.0
        else:
            rows = [r for group in place.groups.values() for r in group]
            lost = 10.0 if parts.group or parts.number else 0.0
        centre, spread = self.index.centre_of(np.asarray(rows))
        entry = self._entry(centre, score - lost, parts, "community", matched, "compound")
        text = place.name + (f"{parts.group}组" if "group" in matched else "")
        yield replace(entry, text=text, kind="village", uncertainty_m=spread, grid="")

    def _area(self, parts: AddressParts) -> Iterator[Candidate]:
        """The deepest named area alone (a community or a street)."""
        code = max(parts.admin, key=len)
        rows = self.index.areas.get(code)
        if rows is None or len(code) < 9:
            return
        level = "community" if len(code) == 12 else "street"
        centre, spread = self.index.centre_of(rows)
        score = 100.0 if not parts.head and parts.number is None else 75.0
        name = self.index.area_names[code]
        entry = self._entry(centre, score, replace(parts, admin=()), level, {}, "plate")
        community = entry.community if level == "community" else ""
        yield replace(entry, text=name, kind=level, uncertainty_m=spread, matched={level: name},
                      grid="", community=community)  # fmt: skip

    def _entry(
        self, row: int, score: float, parts: AddressParts, level: str,
        matched: dict[str, str], certainty: str,
    ) -> Candidate:  # fmt: skip
        """A candidate for register row ``row``, its score lowered for disagreeing areas."""
        index = self.index
        codes = {c: str(index.codes[c][row]) for c in index.codes}
        support = 0.0
        for code in parts.admin:
            column = {6: "district_code", 9: "street_code", 12: "community_code"}[len(code)]
            if codes[column] == code:
                matched = matched | {column[: -len("_code")]: index.area_names.get(code, code)}
                support = max(support, ADMIN_SUPPORT[len(code)])
            else:
                support = -1.0
                score -= ADMIN_PENALTY[len(code)]
        if support > 0:
            score += support * max(0.0, 100.0 - score)
        return Candidate(
            text=str(index.text[row]),
            kind=str(index.kind[row]),
            lon=float(index.lon[row]),
            lat=float(index.lat[row]),
            uncertainty_m=UNCERTAINTY_M[certainty],
            score=round(max(score, 0.0), 1),
            level=level,
            matched=matched,
            grid=codes["grid_code"],
            community=codes["community_code"],
            street=codes["street_code"],
            district=codes["district_code"],
        )

    # -- reverse -------------------------------------------------------------------------
    def reverse(
        self, lon: float, lat: float, *, max_m: float = REVERSE_MAX_M
    ) -> ReverseResult | None:
        """The nearest entry within ``max_m`` metres, and the point described from it.

        The text reads like "瑞庆街12号东侧约30米" (the point is east of the plate, about
        30 m away; distances rounded to 10 m), or the entry alone within 5 m.
        """
        return self.reverse_many([lon], [lat], max_m=max_m)[0]

    def reverse_many(
        self, lons: Sequence[float], lats: Sequence[float], *, max_m: float = REVERSE_MAX_M
    ) -> list[ReverseResult | None]:
        """``reverse`` of many points in one search of the index (a page of cases)."""
        if len(lons) == 0:
            return []
        x, y = metric_xy(np.asarray(lons, dtype=float), np.asarray(lats, dtype=float))
        xy = np.column_stack([np.atleast_1d(x), np.atleast_1d(y)])
        reachable = np.isfinite(xy).all(axis=1)  # EPSG:4548 has no metres far from 117°E
        distances = np.full(len(xy), np.inf)
        rows = np.zeros(len(xy), dtype=np.int64)
        if reachable.any() and len(self.index.xy):
            distances[reachable], rows[reachable] = self.index.tree.query(
                xy[reachable], distance_upper_bound=max_m
            )
        return [
            self._describe(int(row), float(distance), point) if math.isfinite(distance) else None
            for row, distance, point in zip(rows, distances, xy, strict=True)
        ]

    def _describe(self, row: int, distance: float, point: np.ndarray) -> ReverseResult:
        entry = self._entry(row, 100.0, AddressParts(text=""), "plate", {}, "plate")
        dx, dy = point - self.index.xy[row]
        direction = DIRECTIONS[round(math.degrees(math.atan2(dy, dx)) / 45.0) % 8]
        if distance < 5.0:
            return ReverseResult(entry.text, entry, distance, "")
        rounded = max(10, round(distance / 10.0) * 10)
        return ReverseResult(f"{entry.text}{direction}侧约{rounded}米", entry, distance, direction)


def _substrings(text: str, keys: frozenset[str], longest: int) -> list[str]:
    """Keys that occur in ``text``, longest first, none inside a longer one found."""
    found: list[tuple[int, int]] = []
    for size in range(min(longest, len(text)), 1, -1):
        for start in range(len(text) - size + 1):
            end = start + size
            if text[start:end] in keys and not any(s <= start and end <= e for s, e in found):
                found.append((start, end))
    return [text[s:e] for s, e in found]


def _unit_room(parts: AddressParts) -> dict[str, str]:
    out = {}
    if parts.unit is not None:
        out["unit"] = str(parts.unit)
    if parts.room is not None:
        out["room"] = str(parts.room)
    return out


__all__ = [
    "AMBIGUITY_MARGIN",
    "MATCH_THRESHOLD",
    "Candidate",
    "GeocodeResult",
    "Geocoder",
    "ReverseResult",
]
