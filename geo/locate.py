"""Locate points and footprints in the administrative hierarchy (in-process, STRtree).

Rules (the PostGIS implementation in ``api/geography/locate.py`` follows the same ones):

* A point belongs to an area when it lies within ``EDGE_TOLERANCE_DEG`` (1e-9 degrees, about
  0.1 mm) of it, so a point on a shared edge or vertex has several candidates; the one with
  the **smallest code** wins. A point therefore resolves to exactly one area per level, never
  zero or two, and both implementations agree.
* The deepest loaded level is resolved first (grid cell); community, street and district
  follow from the code prefixes. Where no cell covers the point (e.g. a district without a
  grid yet), the next level up is tried.
* With an accuracy radius, the disc around the point (in EPSG:4548 metres) is intersected
  with the streets; every street it reaches is a candidate with its share of the disc's
  area inside the jurisdiction (shares sum to 1); more than one candidate is ``ambiguous``.
* A line or polygon footprint resolves to every street it overlaps with its share of the
  footprint's length or area (metres); a street touched only along an edge or at a point
  (zero length/area) is not a party. The lead street has the largest share; ties go to the
  smallest code. More than one street is a ``joint`` case.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import shapely
from shapely.geometry.base import BaseGeometry

from geo.codes import CODE_LENGTH, LEVELS_TOP_DOWN, Level
from geo.crs import to_metric, to_storage

EDGE_TOLERANCE_DEG = 1e-9
MIN_SHARE = 1e-9
DISC_QUAD_SEGS = 32
# The fewest metres in a degree of longitude at the equator (the ellipsoid's prime-vertical
# radius N is never below its semi-major axis) and in a degree of latitude (the meridian
# radius M is never below a(1 - e²)): a radius in metres is at most these many degrees.
M_PER_DEG_LON_EQUATOR = 111_319.0
M_PER_DEG_LAT_MIN = 110_574.0
# the shortcut below needs the disc to reach the point's street, which holds the point to
# within 1e-9° (0.1 mm): a disc of a millimetre or more does
MIN_DISC_FAST_M = 0.001


def degrees_holding(lat: float, radius_m: float) -> float:
    """A radius in degrees (as ``dwithin`` measures lon/lat) whose circle around a point at
    ``lat`` holds every point within ``radius_m`` metres of it, in EPSG:4548 or on the
    ellipsoid: a degree of longitude is the shortest there, and Gauss-Krüger only stretches
    distances (scale ≥ 1); 1 % to spare."""
    widest = min(89.0, abs(lat) + radius_m / M_PER_DEG_LAT_MIN)
    return 1.01 * radius_m / (M_PER_DEG_LON_EQUATOR * math.cos(math.radians(widest)))


class OutsideJurisdiction(ValueError):
    """The position is outside every district; names the nearest one and the distance."""

    def __init__(self, *, nearest_code: str, nearest_name: str, distance_m: float) -> None:
        super().__init__(
            f"outside every district; nearest is {nearest_name} ({nearest_code}), "
            f"{distance_m:,.0f} m away"
        )
        self.nearest_code = nearest_code
        self.nearest_name = nearest_name
        self.distance_m = distance_m


@dataclass(frozen=True)
class AreaRef:
    """An area by code and name."""

    code: str
    name: str


@dataclass(frozen=True)
class StreetShare:
    """A street and its share of a disc or footprint."""

    code: str
    name: str
    district_code: str
    share: float


@dataclass(frozen=True)
class PointLocation:
    """Where a point lies: one area per level, plus ambiguity when an accuracy is given."""

    lon: float
    lat: float
    district: AreaRef
    street: AreaRef | None
    community: AreaRef | None
    grid: AreaRef | None
    generation: int
    ambiguous: bool = False
    candidates: tuple[StreetShare, ...] = ()


@dataclass(frozen=True)
class FootprintLocation:
    """The streets a line or polygon touches, with shares, the lead and the joint flag."""

    streets: tuple[StreetShare, ...]
    generation: int

    @property
    def lead(self) -> StreetShare:
        """The street with the largest share (smallest code on ties)."""
        return self.streets[0]

    @property
    def joint(self) -> bool:
        """True when more than one street is a party."""
        return len(self.streets) > 1


def rank_shares(shares: list[StreetShare]) -> tuple[StreetShare, ...]:
    """Order by share (largest first, rounded to 1e-9), then code; drop zero shares."""
    kept = [s for s in shares if s.share > MIN_SHARE]
    return tuple(sorted(kept, key=lambda s: (-round(s.share, 9), s.code)))


class _LevelIndex:
    """One level's areas with an STRtree."""

    def __init__(self, frame: gpd.GeoDataFrame) -> None:
        ordered = frame.sort_values("code")
        self.codes = ordered["code"].astype(str).to_numpy()
        self.names = ordered["name"].astype(str).to_numpy()
        self.geoms = ordered.geometry.to_numpy()
        self.tree = shapely.STRtree(self.geoms)
        self.by_code = {c: i for i, c in enumerate(self.codes)}

    def covering(self, points: np.ndarray) -> np.ndarray:
        """Index of the covering area per point (smallest code on edges); -1 when none."""
        hits = self.tree.query(points, predicate="dwithin", distance=EDGE_TOLERANCE_DEG)
        result = np.full(len(points), -1, dtype=np.int64)
        if hits.shape[1] == 0:
            return result
        # codes are sorted, so the smallest tree index is the smallest code
        order = np.lexsort((hits[1], hits[0]))
        inputs, trees = hits[0][order], hits[1][order]
        first = np.r_[True, inputs[1:] != inputs[:-1]]
        result[inputs[first]] = trees[first]
        return result

    def covering_one(self, point: BaseGeometry) -> int:
        """``covering`` for one point: the index of its area, or -1."""
        hits = self.tree.query(point, predicate="dwithin", distance=EDGE_TOLERANCE_DEG)
        return int(hits.min()) if len(hits) else -1

    def ref(self, code: str) -> AreaRef | None:
        i = self.by_code.get(code)
        return None if i is None else AreaRef(code, str(self.names[i]))


GROUP_PREFIX = CODE_LENGTH[Level.STREET]
# boxes are searched a little wider than the edge tolerance: a point within the tolerance of
# a cell is within it of the cell's box, rounding aside
BOX_MARGIN_DEG = 10 * EDGE_TOLERANCE_DEG


@dataclass(frozen=True)
class WkbAreas:
    """One level's areas as plain arrays (any order): what a lean level is built from
    without a polygon per area."""

    codes: Sequence[str]
    names: Sequence[str]
    wkb: Sequence[bytes]


class _LeanLevelIndex:
    """One level's areas kept compact: codes, names, WKB and bounding boxes in flat arrays
    (about 260 bytes an area instead of 1–1.5 kB of polygons, STRtree and Python strings).

    A point is tested against the polygons of the few areas whose box it falls in (within the
    tolerance), made from their WKB for that point only; the boxes are searched in the
    groups of areas (a street's, by code prefix) whose box holds the point. A batch makes each
    group's polygons once. Answers exactly as ``_LevelIndex``: the same polygons, the same
    STRtree predicate, the smallest code."""

    def __init__(self, areas: WkbAreas, *, chunk: int = 20_000) -> None:
        order = np.argsort(np.asarray(areas.codes, dtype=str), kind="stable")
        self.codes = np.asarray(areas.codes, dtype=str)[order]
        names = [str(areas.names[i]).encode() for i in order]
        self._names = b"".join(names)
        self._name_ends = np.cumsum([len(n) for n in names], dtype=np.int64)
        blobs = [bytes(areas.wkb[i]) for i in order]
        self._wkb = b"".join(blobs)
        self._wkb_ends = np.cumsum([len(b) for b in blobs], dtype=np.int64)
        self._bounds = np.empty((len(order), 4))
        for begin in range(0, len(order), chunk):  # a chunk of polygons at a time
            self._bounds[begin : begin + chunk] = shapely.bounds(self._polygons(begin, chunk))
        prefixes = self.codes.astype(f"<U{GROUP_PREFIX}")  # (non-empty) groups by prefix
        starts = np.flatnonzero(np.r_[True, prefixes[1:] != prefixes[:-1]])
        self._starts = np.r_[starts, len(order)].astype(np.int64)
        boxes = shapely.box(
            np.minimum.reduceat(self._bounds[:, 0], starts),
            np.minimum.reduceat(self._bounds[:, 1], starts),
            np.maximum.reduceat(self._bounds[:, 2], starts),
            np.maximum.reduceat(self._bounds[:, 3], starts),
        )
        self._group_tree = shapely.STRtree(boxes)

    def __len__(self) -> int:
        return len(self.codes)

    def _polygons(self, begin: int, count: int) -> np.ndarray:
        """The polygons of ``count`` areas from ``begin`` (code order), made from their WKB."""
        end = min(begin + count, len(self.codes))
        ends = self._wkb_ends
        return shapely.from_wkb(
            [self._wkb[(int(ends[i - 1]) if i else 0) : int(ends[i])] for i in range(begin, end)]
        )

    @property
    def names(self) -> np.ndarray:
        """Every area's name (made on each call: for tools and tests, not per request)."""
        return np.array([self.name(i) for i in range(len(self.codes))], dtype=object)

    @property
    def geoms(self) -> np.ndarray:
        """Every area's polygon (made on each call: for tools and tests, not per request)."""
        return self._polygons(0, len(self.codes))

    @property
    def tree(self) -> shapely.STRtree:
        """An STRtree of every area (made on each call: for tools and tests)."""
        return shapely.STRtree(self.geoms)

    def name(self, i: int) -> str:
        begin = int(self._name_ends[i - 1]) if i else 0
        return self._names[begin : int(self._name_ends[i])].decode()

    def covering(self, points: np.ndarray) -> np.ndarray:
        """Index of the covering area per point (smallest code on edges); -1 when none."""
        near = self._group_tree.query(points, predicate="dwithin", distance=BOX_MARGIN_DEG)
        best = np.full(len(points), len(self.codes), dtype=np.int64)
        for g in np.unique(near[1]):
            which = near[0][near[1] == g]
            begin = int(self._starts[g])
            tree = shapely.STRtree(self._polygons(begin, int(self._starts[g + 1]) - begin))
            hits = tree.query(points[which], predicate="dwithin", distance=EDGE_TOLERANCE_DEG)
            np.minimum.at(best, which[hits[0]], begin + hits[1])
        return np.where(best < len(self.codes), best, -1)

    def covering_one(self, point: BaseGeometry) -> int:
        """``covering`` for one point: the index of its area, or -1."""
        x, y = shapely.get_coordinates(point)[0]
        m = BOX_MARGIN_DEG
        found: list[int] = []
        for g in self._group_tree.query(point, predicate="dwithin", distance=m):
            begin, end = int(self._starts[g]), int(self._starts[g + 1])
            b = self._bounds[begin:end]
            inside = (
                (b[:, 0] - m <= x) & (x <= b[:, 2] + m) & (b[:, 1] - m <= y) & (y <= b[:, 3] + m)
            )
            found.extend((begin + np.flatnonzero(inside)).tolist())
        if not found:
            return -1
        found.sort()
        ends = self._wkb_ends
        polygons = shapely.from_wkb(
            [self._wkb[(int(ends[i - 1]) if i else 0) : int(ends[i])] for i in found]
        )
        hits = shapely.STRtree(polygons).query(
            point, predicate="dwithin", distance=EDGE_TOLERANCE_DEG
        )
        return found[int(hits.min())] if len(hits) else -1

    def ref(self, code: str) -> AreaRef | None:
        i = int(np.searchsorted(self.codes, code))
        if i == len(self.codes) or self.codes[i] != code:
            return None
        return AreaRef(code, self.name(i))


class Locator:
    """Point and footprint location over one generation's areas (pure, in memory).

    A level given as ``WkbAreas`` (the served app's grid cells) is kept compact and makes a
    polygon only for the few areas whose box a point falls in (``_LeanLevelIndex``); a
    GeoDataFrame level keeps every polygon. The answers are the same."""

    def __init__(
        self, levels: Mapping[Level, gpd.GeoDataFrame | WkbAreas], *, generation: int
    ) -> None:
        self.generation = generation
        self.index: dict[Level, _LevelIndex | _LeanLevelIndex] = {
            lvl: _LeanLevelIndex(f) if isinstance(f, WkbAreas) else _LevelIndex(f)
            for lvl, f in levels.items()
            if len(f.codes if isinstance(f, WkbAreas) else f)
        }
        if Level.DISTRICT not in self.index:
            raise ValueError("a locator needs at least the district level")
        self._deepest_first = [lvl for lvl in reversed(LEVELS_TOP_DOWN) if lvl in self.index]

    # -- points --------------------------------------------------------------------------
    def locate_codes(self, lons: np.ndarray, lats: np.ndarray) -> np.ndarray:
        """Batch: the code of the deepest covering area per point ("" when outside)."""
        points = np.asarray(
            shapely.points(np.asarray(lons, float), np.asarray(lats, float)), dtype=object
        )
        codes = np.array([""] * len(points), dtype=object)
        pending = np.arange(len(points))
        for level in self._deepest_first:
            if len(pending) == 0:
                break
            index = self.index[level]
            found = index.covering(points[pending])
            hit = found >= 0
            codes[pending[hit]] = index.codes[found[hit]]
            pending = pending[~hit]
        return codes

    def locate_code(self, lon: float, lat: float) -> str:
        """One point: the code of the deepest covering area ("" when outside); the same
        answer as ``locate_codes``, without its arrays."""
        point = shapely.Point(lon, lat)
        for level in self._deepest_first:
            index = self.index[level]
            found = index.covering_one(point)
            if found >= 0:
                return str(index.codes[found])
        return ""

    def locate_point(
        self, lon: float, lat: float, *, accuracy_m: float | None = None
    ) -> PointLocation:
        """One point: an area per level, and the candidate streets of its accuracy disc."""
        code = self.locate_code(lon, lat)
        if not code:
            raise self._outside(lon, lat)
        refs = {lvl: self._ancestor(code, lvl) for lvl in LEVELS_TOP_DOWN}
        district = refs[Level.DISTRICT]
        assert district is not None
        candidates: tuple[StreetShare, ...] = ()
        if accuracy_m and accuracy_m > 0 and Level.STREET in self.index:
            street = refs[Level.STREET]
            candidates = self.disc_shares(
                lon, lat, accuracy_m, street=None if street is None else street.code
            )
        return PointLocation(
            lon=lon,
            lat=lat,
            district=district,
            street=refs[Level.STREET],
            community=refs[Level.COMMUNITY],
            grid=refs[Level.GRID],
            generation=self.generation,
            ambiguous=len(candidates) > 1,
            candidates=candidates,
        )

    def _ancestor(self, code: str, level: Level) -> AreaRef | None:
        length = CODE_LENGTH[level]
        if len(code) < length or level not in self.index:
            return None
        return self.index[level].ref(code[:length])

    def _outside(self, lon: float, lat: float) -> OutsideJurisdiction:
        districts = self.index[Level.DISTRICT]
        point_m = to_metric(shapely.Point(lon, lat))
        distances = shapely.distance(to_metric(districts.geoms), point_m)
        i = int(np.argmin(distances))
        return OutsideJurisdiction(
            nearest_code=str(districts.codes[i]),
            nearest_name=str(districts.names[i]),
            distance_m=float(distances[i]),
        )

    # -- discs and footprints ------------------------------------------------------------
    def disc_shares(
        self, lon: float, lat: float, radius_m: float, *, street: str | None = None
    ) -> tuple[StreetShare, ...]:
        """Streets reached by the accuracy disc, with their share of its covered area
        (``street``: the code of the street the point was located in, if known)."""
        streets = self.index[Level.STREET]
        point = shapely.Point(lon, lat)
        # Most discs lie inside the point's street: when a circle that holds the disc
        # reaches no other street, the disc is that street's alone, and the disc itself is
        # not needed.
        if street is not None and radius_m >= MIN_DISC_FAST_M:
            near = streets.tree.query(
                point, predicate="dwithin", distance=degrees_holding(lat, radius_m)
            )
            if len(near) == 1 and streets.codes[near[0]] == street:
                return (self._whole(int(near[0])),)
        centre = to_metric(point)
        disc = to_storage(shapely.buffer(centre, radius_m, quad_segs=DISC_QUAD_SEGS))
        reached = streets.tree.query(disc, predicate="intersects")
        if len(reached) == 1:  # the whole disc, without intersecting (as PostGIS does)
            return (self._whole(int(reached[0])),)
        return self._shares(disc, measure=shapely.area)

    def _whole(self, i: int) -> StreetShare:
        """Street ``i`` of the index with the whole disc."""
        streets = self.index[Level.STREET]
        code = str(streets.codes[i])
        return StreetShare(code, str(streets.names[i]), code[:6], 1.0)

    def locate_footprint(self, geom: BaseGeometry) -> FootprintLocation:
        """Streets a line or polygon (lon/lat) overlaps, with length or area shares."""
        if Level.STREET not in self.index:
            raise ValueError("no streets are loaded")
        measure = (
            shapely.length if geom.geom_type in ("LineString", "MultiLineString") else shapely.area
        )
        streets = self._shares(geom, measure=measure)
        if not streets:
            centroid = shapely.centroid(geom)
            raise self._outside(float(centroid.x), float(centroid.y))
        return FootprintLocation(streets=streets, generation=self.generation)

    def _shares(self, geom_ll: BaseGeometry, *, measure) -> tuple[StreetShare, ...]:  # type: ignore[no-untyped-def]
        streets = self.index[Level.STREET]
        candidates = streets.tree.query(geom_ll, predicate="intersects")
        if len(candidates) == 0:
            return ()
        # intersect in lon/lat (exact shared edges), then measure in metres
        parts = to_metric(shapely.intersection(streets.geoms[candidates], geom_ll))
        sizes = np.asarray(measure(parts), dtype=float)
        total = float(sizes.sum())
        if total <= 0:
            return ()
        shares = [
            StreetShare(
                code=str(streets.codes[i]),
                name=str(streets.names[i]),
                district_code=str(streets.codes[i])[:6],
                share=float(size / total),
            )
            for i, size in zip(candidates, sizes, strict=True)
        ]
        return rank_shares(shares)
