"""Validate and clean a level's boundary features before they are imported.

``validate_boundaries`` returns the cleaned features (valid, MultiPolygon, EPSG:4326) and
every problem found: bad, duplicate or mis-prefixed codes; empty, non-polygonal or invalid
geometry; zero-width slivers (ring spikes and thin parts); overlaps and gaps between the
file's features; and, given the parent level, children missing or sticking out of their
parent and parents not covered by their children. Small defects are repaired and reported
(severity "repaired"); anything beyond the tolerances is an "error".

Repairs edit only what is wrong: a spike is cut off at its base and a thin part or hole is
dropped, so every other vertex (and so every boundary shared with a neighbour) is kept
exactly. Sizes are measured in EPSG:4548 metres; geometry is never written back from
metres, so no coordinate takes a projection round trip.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from enum import StrEnum

import geopandas
import numpy as np
import pandas as pd
import shapely
from shapely.geometry.base import BaseGeometry

from geo.codes import CODE_LENGTH, PARENT_LEVEL, Level, code_problems
from geo.crs import area_m2, to_metric, to_storage
from grids.boundaries import STORAGE_CRS, BoundaryFileError, derive_parent_code
from grids.hierarchy import (
    coverage,
    coverage_suspects,
    covered_by,
    group_unions,
    metric_geometries,
)

_ZERO_WIDTH_M = 1e-6
_SAME_POINT_M = 1e-3


class Kind(StrEnum):
    """What a problem is about."""

    INVALID_GEOMETRY = "invalid_geometry"
    REPAIRED_GEOMETRY = "repaired_geometry"
    SLIVER = "sliver"
    OVERLAP = "overlap"
    GAP = "gap"
    OUTSIDE_PARENT = "outside_parent"
    DUPLICATE_CODE = "duplicate_code"
    BAD_CODE = "bad_code"
    CODE_PREFIX = "code_prefix"
    MISSING_PARENT = "missing_parent"
    EMPTY_GEOMETRY = "empty_geometry"
    CRS = "crs"
    FILE = "file"


class Severity(StrEnum):
    """How bad a problem is: errors block the import, repairs and warnings do not."""

    ERROR = "error"
    REPAIRED = "repaired"
    WARNING = "warning"


@dataclass(frozen=True)
class Tolerances:
    """Sizes below which a defect is repaired or ignored instead of rejected."""

    repair_area_m2: float = 1.0  # make_valid may change area by less than this, else error
    overlap_m2: float = 1.0  # sibling overlap above this is an error
    gap_m2: float = 1.0  # holes between siblings / parent area uncovered above this: error
    outside_parent_m2: float = 1.0  # child area outside its parent above this is an error
    sliver_width_m: float = 0.5  # parts or holes thinner than this are zero-width slivers
    spike_angle_deg: float = 2.0  # a ring vertex sharper than this is a spike ...
    spike_width_m: float = 5.0  # ... cut off when its base is at most this wide, else warned


@dataclass(frozen=True)
class Problem:
    """One finding about one feature (``code``) or the whole file (``code`` None)."""

    code: str | None
    kind: str
    severity: str
    message: str
    size_m2: float | None


@dataclass
class ValidationReport:
    """The cleaned features of one level and everything found while cleaning them."""

    level: Level
    frame: geopandas.GeoDataFrame
    problems: list[Problem] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """True when no problem is an error."""
        return not self.errors()

    def errors(self) -> list[Problem]:
        """Problems that block the import."""
        return [p for p in self.problems if p.severity == Severity.ERROR]

    def repairs(self) -> list[Problem]:
        """Defects that were repaired in ``frame``."""
        return [p for p in self.problems if p.severity == Severity.REPAIRED]

    def warnings(self) -> list[Problem]:
        """Findings worth a look that neither block nor change anything."""
        return [p for p in self.problems if p.severity == Severity.WARNING]

    def to_text(self) -> str:
        """A readable multi-line report, errors first."""
        verdict = "OK" if self.ok else "REJECTED"
        head = (
            f"{self.level.value} boundaries: {len(self.frame)} features, {verdict} "
            f"({len(self.errors())} errors, {len(self.repairs())} repaired, "
            f"{len(self.warnings())} warnings)"
        )
        order = {Severity.ERROR: 0, Severity.REPAIRED: 1, Severity.WARNING: 2}
        ranked = sorted(self.problems, key=lambda p: order.get(Severity(p.severity), 3))
        lines = [f"  {p.severity:<8}  {p.kind:<17}  {p.message}" for p in ranked]
        return "\n".join([head, *lines])


def problem_from_error(error: BoundaryFileError) -> Problem:
    """Turn a file-level reading error into a Problem so the CLI reports both alike."""
    return Problem(None, error.kind, Severity.ERROR, str(error), None)


def validate_boundaries(
    frame: geopandas.GeoDataFrame,
    *,
    level: Level,
    parents: geopandas.GeoDataFrame | None = None,
    tolerances: Tolerances = Tolerances(),
) -> ValidationReport:
    """Check and clean one level's features; compare them with ``parents`` when given."""
    frame, problems = _prepare(frame, level)
    labels = _labels(frame)
    problems += _code_checks(frame, level, labels)
    geoms, found = _clean_geometries(frame.geometry.to_numpy(), labels, frame["code"], tolerances)
    problems += found
    keep = ~shapely.is_missing(geoms)
    cleaned = geopandas.GeoDataFrame(
        frame.loc[keep].drop(columns="geometry").reset_index(drop=True),
        geometry=geopandas.GeoSeries(geoms[keep], crs=STORAGE_CRS),
    )
    metric = metric_geometries(cleaned)
    codes, kept_labels = list(cleaned["code"]), list(np.asarray(labels, dtype=object)[keep])
    suspects = coverage_suspects(metric)
    problems += _sibling_checks(metric, suspects, codes, kept_labels, tolerances)
    if parents is not None:
        problems += _parent_checks(cleaned, metric, suspects, kept_labels, parents, tolerances)
    return ValidationReport(level=level, frame=cleaned, problems=problems)


# --- preparation and codes -----------------------------------------------------------------------


def _prepare(
    frame: geopandas.GeoDataFrame, level: Level
) -> tuple[geopandas.GeoDataFrame, list[Problem]]:
    problems: list[Problem] = []
    if frame.crs is None:
        message = "features have no CRS; assumed EPSG:4326 lon/lat"
        problems.append(Problem(None, Kind.CRS, Severity.WARNING, message, None))
        frame = frame.set_crs(STORAGE_CRS)
    elif frame.crs != STORAGE_CRS:
        frame = frame.to_crs(STORAGE_CRS)
    codes = [_text(c) for c in frame["code"]]
    names = [_text(n) for n in frame["name"]] if "name" in frame else [""] * len(codes)
    given = list(frame["parent_code"]) if "parent_code" in frame else [None] * len(codes)
    parent_codes = [
        _text(p) or derive_parent_code(c, level) for c, p in zip(codes, given, strict=True)
    ]
    out = geopandas.GeoDataFrame(
        {
            "code": pd.Series(codes, dtype=object),
            "name": pd.Series(names, dtype=object),
            "parent_code": pd.Series(parent_codes, dtype=object),
            "level": pd.Series([level.value] * len(codes), dtype=object),
        },
        geometry=geopandas.GeoSeries(frame.geometry.to_numpy(), crs=STORAGE_CRS),
    )
    return out, problems


def _text(value: object) -> str:
    if value is None or value is pd.NA or (isinstance(value, float) and math.isnan(value)):
        return ""
    return str(value).strip()


def _labels(frame: geopandas.GeoDataFrame) -> list[str]:
    return [f"{c} {n}".strip() for c, n in zip(frame["code"], frame["name"], strict=True)]


def _code_checks(frame: geopandas.GeoDataFrame, level: Level, labels: list[str]) -> list[Problem]:
    problems: list[Problem] = []
    for code, parent, label in zip(frame["code"], frame["parent_code"], labels, strict=True):
        for message in code_problems(code, level):
            problems.append(
                Problem(code, Kind.BAD_CODE, Severity.ERROR, f"{label}: {message}", None)
            )
        if issue := _prefix_problem(code, parent, level):
            problems.append(
                Problem(code, Kind.CODE_PREFIX, Severity.ERROR, f"{label}: {issue}", None)
            )
    counts = frame["code"].value_counts()
    for code, count in counts[counts > 1].items():
        names = ", ".join(frame.loc[frame["code"] == code, "name"].astype(str))
        message = f"code {code} is used by {count} features ({names})"
        problems.append(Problem(str(code), Kind.DUPLICATE_CODE, Severity.ERROR, message, None))
    return problems


def _prefix_problem(code: str, parent: str | None, level: Level) -> str | None:
    parent_level = PARENT_LEVEL[level]
    if parent_level is None or not parent:
        return None
    if not (parent.isdigit() and len(parent) == CODE_LENGTH[parent_level]):
        return (
            f"parent code {parent!r} is not a {CODE_LENGTH[parent_level]}-digit {parent_level} code"
        )
    if not code.startswith(parent):
        return f"code {code} does not start with its parent's code {parent}"
    return None


# --- geometry cleaning ---------------------------------------------------------------------------


def _clean_geometries(
    geoms: np.ndarray, labels: list[str], codes: pd.Series, tol: Tolerances
) -> tuple[np.ndarray, list[Problem]]:
    geoms = np.asarray(geoms, dtype=object).copy()
    codes_list = [str(c) for c in codes]
    problems = _reject_unusable(geoms, labels, codes_list)
    for step in (_cut_spikes, _repair_invalid, _drop_thin_parts):
        problems += step(geoms, labels, codes_list, tol)
    return _to_multipolygons(geoms), problems


def _reject_unusable(geoms: np.ndarray, labels: list[str], codes: list[str]) -> list[Problem]:
    """Blank out missing, empty and non-polygonal geometries (in place) and report them."""
    problems: list[Problem] = []
    types = shapely.get_type_id(geoms)
    for i in np.nonzero(shapely.is_missing(geoms) | shapely.is_empty(geoms))[0]:
        message = f"{labels[i]}: geometry is empty"
        problems.append(Problem(codes[i], Kind.EMPTY_GEOMETRY, Severity.ERROR, message, None))
        geoms[i] = None
    polygonal = np.isin(types, [3, 6])
    for i in np.nonzero(~polygonal & ~shapely.is_missing(geoms))[0]:
        message = f"{labels[i]}: geometry is a {geoms[i].geom_type}, not a polygon"
        problems.append(Problem(codes[i], Kind.INVALID_GEOMETRY, Severity.ERROR, message, None))
        geoms[i] = None
    geoms[:] = shapely.force_2d(geoms)
    return problems


def _repair_invalid(
    geoms: np.ndarray, labels: list[str], codes: list[str], tol: Tolerances
) -> list[Problem]:
    """make_valid invalid geometries (in place); an error when the area changes too much."""
    problems: list[Problem] = []
    present = ~shapely.is_missing(geoms)
    idx = np.nonzero(present & ~shapely.is_valid(geoms))[0]
    if len(idx) == 0:
        return problems
    reasons = [_reason(r) for r in shapely.is_valid_reason(geoms[idx])]
    fixed = np.array([_polygonal_part(g) for g in shapely.make_valid(geoms[idx])], dtype=object)
    change = np.abs(area_m2(fixed) - area_m2(geoms[idx]))
    for i, reason, repaired, delta in zip(idx, reasons, fixed, change, strict=True):
        problems.append(_repair_problem(labels[i], codes[i], reason, repaired, float(delta), tol))
        geoms[i] = None if repaired.is_empty else repaired
    return problems


def _reason(reason: str) -> str:
    """GEOS's "Self-intersection[116.3005809 39.9004517]" as "Self-intersection at (…, …)"."""
    found = re.fullmatch(r"(.*)\[(\S+) (\S+)\]", reason)
    if not found:
        return reason
    what, x, y = found.groups()
    return f"{what} at ({float(x):.5f}, {float(y):.5f})"


def _repair_problem(
    label: str, code: str, reason: str, repaired: BaseGeometry, delta: float, tol: Tolerances
) -> Problem:
    if repaired.is_empty:
        message = f"{label}: invalid geometry ({reason}) collapses to nothing"
        return Problem(code, Kind.INVALID_GEOMETRY, Severity.ERROR, message, delta)
    if delta < tol.repair_area_m2:
        message = f"{label}: invalid geometry ({reason}) repaired, area changed by {delta:,.2f} m²"
        return Problem(code, Kind.REPAIRED_GEOMETRY, Severity.REPAIRED, message, delta)
    message = (
        f"{label}: invalid geometry ({reason}); repairing it would change the area by "
        f"{delta:,.2f} m² (tolerance {tol.repair_area_m2:g} m²)"
    )
    return Problem(code, Kind.INVALID_GEOMETRY, Severity.ERROR, message, delta)


def _polygonal_part(geom: BaseGeometry) -> BaseGeometry:
    """The polygons of a make_valid result (lines and points of collapsed parts dropped)."""
    parts = shapely.get_parts(shapely.get_parts(geom))
    polygons = [p for p in parts if p.geom_type == "Polygon" and not p.is_empty]
    return shapely.MultiPolygon(polygons) if polygons else shapely.Polygon()


def _to_multipolygons(geoms: np.ndarray) -> np.ndarray:
    present = np.nonzero(~shapely.is_missing(geoms))[0]
    parts, owner = shapely.get_parts(geoms[present], return_index=True)
    out = np.full(len(geoms), None, dtype=object)
    if len(parts):
        shapely.multipolygons(parts, indices=present[owner], out=out)
    return out


# --- spikes: a ring that runs out and (almost) straight back -------------------------------------


@dataclass(frozen=True)
class _Spike:
    lon: float
    lat: float
    length_m: float
    width_m: float
    angle_deg: float
    area_m2: float
    cut: bool


def _cut_spikes(
    geoms: np.ndarray, labels: list[str], codes: list[str], tol: Tolerances
) -> list[Problem]:
    """Cut narrow spikes off their rings (in place): only the wedge goes, no other vertex."""
    problems: list[Problem] = []
    for i in _features_with_spikes(geoms, math.radians(tol.spike_angle_deg)):
        geoms[i], spikes = _despike_geometry(geoms[i], tol)
        problems += [_spike_problem(labels[i], codes[i], s, tol) for s in spikes]
        if geoms[i] is None:
            message = f"{labels[i]}: nothing is left after cutting off its spikes"
            problems.append(Problem(codes[i], Kind.EMPTY_GEOMETRY, Severity.ERROR, message, None))
    return problems


def _features_with_spikes(geoms: np.ndarray, max_angle: float) -> np.ndarray:
    """Indices of features with at least one spike vertex (vectorised over all rings)."""
    present = np.nonzero(~shapely.is_missing(geoms))[0]
    parts, part_owner = shapely.get_parts(geoms[present], return_index=True)
    rings, ring_part = shapely.get_rings(parts, return_index=True)
    rings_m = to_metric(rings)
    coords, ring_of = shapely.get_coordinates(rings_m, return_index=True)
    counts = np.bincount(ring_of, minlength=len(rings))
    starts = np.concatenate([[0], np.cumsum(counts)[:-1]])
    local = np.arange(len(coords)) - starts[ring_of]
    size = counts[ring_of] - 1
    vertex = (local < size) & (size >= 3)
    ring, k, n = ring_of[vertex], local[vertex], size[vertex]
    here = starts[ring] + k
    a = coords[starts[ring] + (k - 1) % n] - coords[here]
    b = coords[starts[ring] + (k + 1) % n] - coords[here]
    material_left = _material_left(rings, ring_part)[ring]
    spiky = _spike_mask(a, b, material_left, max_angle)
    return np.unique(present[part_owner[ring_part[ring[spiky]]]])


def _material_left(rings: np.ndarray, ring_part: np.ndarray) -> np.ndarray:
    """True where the polygon lies left of the ring's direction (CCW shell or CW hole)."""
    return np.asarray(shapely.is_ccw(rings)) != _is_hole(ring_part)


def _is_hole(ring_part: np.ndarray) -> np.ndarray:
    """For get_rings output: True for every ring but the first (the shell) of its polygon."""
    out = np.zeros(len(ring_part), dtype=bool)
    out[1:] = ring_part[1:] == ring_part[:-1]
    return out


def _spike_mask(
    a: np.ndarray, b: np.ndarray, material_left: np.ndarray, max_angle: float
) -> np.ndarray:
    """Vertices whose edges to the previous (a) and next (b) vertex fold onto each other."""
    cross = a[:, 0] * b[:, 1] - a[:, 1] * b[:, 0]
    dot = (a * b).sum(axis=1)
    angle = np.arctan2(np.abs(cross), dot)
    convex = np.where(material_left, cross < 0, cross > 0) | (cross == 0)
    nonzero = (np.abs(a).sum(axis=1) > 0) & (np.abs(b).sum(axis=1) > 0)
    return (angle < max_angle) & convex & nonzero


def _despike_geometry(
    geom: BaseGeometry, tol: Tolerances
) -> tuple[BaseGeometry | None, list[_Spike]]:
    spikes: list[_Spike] = []
    polygons = []
    for part in shapely.get_parts(geom):
        rings = [part.exterior, *part.interiors]
        kept = []
        for j, ring in enumerate(rings):
            xy = np.asarray(ring.coords)[:-1, :2]
            material_left = ring.is_ccw != (j > 0)
            new, found = _despike_ring(xy, material_left, tol)
            spikes += found
            if new is not None:
                kept.append(new)
            elif j == 0:
                break
        else:
            polygons.append(shapely.Polygon(kept[0], kept[1:]))
    return (shapely.MultiPolygon(polygons) if polygons else None), spikes


def _despike_ring(
    xy: np.ndarray, material_left: bool, tol: Tolerances
) -> tuple[np.ndarray | None, list[_Spike]]:
    """Cut the ring's cuttable spikes one at a time, sharpest first; None if it collapses."""
    spikes: list[_Spike] = []
    max_angle = math.radians(tol.spike_angle_deg)
    for _ in range(2 * len(xy) + 2):
        if len(xy) < 3:
            return None, spikes
        metric = _metric_xy(xy)
        found = _ring_spikes(metric, material_left, max_angle)
        cuttable = [s for s in found if s[2] <= tol.spike_width_m]
        if not cuttable:
            spikes += [_describe(xy, metric, s, removed=None) for s in found]
            return xy, spikes
        sharpest = min(cuttable, key=lambda s: s[1])
        cut = _cut(xy, metric, sharpest)
        removed = abs(_signed_area(metric) - _signed_area(_metric_xy(cut)))
        spikes.append(_describe(xy, metric, sharpest, removed=removed))
        xy = cut
    return xy, spikes


def _metric_xy(xy: np.ndarray) -> np.ndarray:
    return shapely.get_coordinates(to_metric(shapely.points(xy))) if len(xy) else xy


def _signed_area(xy: np.ndarray) -> float:
    x, y = xy[:, 0], xy[:, 1]
    return 0.5 * float(np.dot(x, np.roll(y, -1)) - np.dot(np.roll(x, -1), y))


def _ring_spikes(
    metric: np.ndarray, material_left: bool, max_angle: float
) -> list[tuple[int, float, float]]:
    """(vertex, angle, base width in m) of each spike vertex of one ring."""
    a = np.roll(metric, 1, axis=0) - metric
    b = np.roll(metric, -1, axis=0) - metric
    mask = _spike_mask(a, b, np.full(len(metric), material_left), max_angle)
    out = []
    for i in np.nonzero(mask)[0]:
        angle = math.atan2(abs(a[i, 0] * b[i, 1] - a[i, 1] * b[i, 0]), float(a[i] @ b[i]))
        near = min(math.hypot(*a[i]), math.hypot(*b[i]))
        out.append((int(i), angle, near * math.sin(angle)))
    return out


def _neighbours(xy: np.ndarray, metric: np.ndarray, i: int) -> tuple[int, int, float, float]:
    """(near, far, near length, far length) of vertex i's two neighbours, in metres."""
    prev, nxt = (i - 1) % len(xy), (i + 1) % len(xy)
    to_prev = float(np.hypot(*(metric[prev] - metric[i])))
    to_next = float(np.hypot(*(metric[nxt] - metric[i])))
    return (prev, nxt, to_prev, to_next) if to_prev <= to_next else (nxt, prev, to_next, to_prev)


def _describe(
    xy: np.ndarray, metric: np.ndarray, spike: tuple[int, float, float], *, removed: float | None
) -> _Spike:
    """A spike's location and shape; ``removed`` is the area cut, None when it is kept."""
    i, angle, width = spike
    _, _, near_len, _ = _neighbours(xy, metric, i)
    wedge = 0.5 * near_len * math.cos(angle) * width
    lon, lat = (float(v) for v in xy[i])
    area = wedge if removed is None else removed
    return _Spike(lon, lat, near_len, width, math.degrees(angle), area, removed is not None)


def _cut(xy: np.ndarray, metric: np.ndarray, spike: tuple[int, float, float]) -> np.ndarray:
    """Replace the spike's tip by the foot of its near neighbour on the far edge."""
    i, angle, width = spike
    _, far, near_len, far_len = _neighbours(xy, metric, i)
    along = near_len * math.cos(angle)
    if width < _ZERO_WIDTH_M or far_len - along < _SAME_POINT_M:
        return _drop_repeats(np.delete(xy, i, axis=0))
    out = xy.copy()
    out[i] = xy[i] + (along / far_len) * (xy[far] - xy[i])
    return out


def _drop_repeats(xy: np.ndarray) -> np.ndarray:
    same = np.all(xy == np.roll(xy, 1, axis=0), axis=1)
    return xy[~same] if len(xy) > 1 else xy


def _spike_problem(label: str, code: str, spike: _Spike, tol: Tolerances) -> Problem:
    where = f"({spike.lon:.5f}, {spike.lat:.5f})"
    shape = (
        f"{spike.length_m:,.1f} m long, {spike.width_m:.2f} m wide at its base, "
        f"{spike.angle_deg:.2f}°"
    )
    if spike.cut:
        message = f"{label}: sliver spike cut off at {where} ({shape}), {spike.area_m2:,.2f} m²"
        return Problem(code, Kind.SLIVER, Severity.REPAIRED, message, spike.area_m2)
    message = (
        f"{label}: sharp spike at {where} ({shape}) left as it is: wider than "
        f"{tol.spike_width_m:g} m at its base, {spike.area_m2:,.2f} m²"
    )
    return Problem(code, Kind.SLIVER, Severity.WARNING, message, spike.area_m2)


# --- thin parts and holes ------------------------------------------------------------------------


def _drop_thin_parts(
    geoms: np.ndarray, labels: list[str], codes: list[str], tol: Tolerances
) -> list[Problem]:
    """Drop parts and fill holes thinner than sliver_width_m everywhere (in place)."""
    present = np.nonzero(~shapely.is_missing(geoms))[0]
    parts, owner = shapely.get_parts(geoms[present], return_index=True)
    rings, ring_part = shapely.get_rings(parts, return_index=True)
    is_hole = _is_hole(ring_part)
    thin_part = _thin(to_metric(parts), tol.sliver_width_m)
    thin_hole = np.zeros(len(rings), dtype=bool)
    thin_hole[is_hole] = _thin(to_metric(shapely.polygons(rings[is_hole])), tol.sliver_width_m)
    if not (thin_part.any() or thin_hole.any()):
        return []
    problems: list[Problem] = []
    for i in np.unique(owner[thin_part | np.isin(np.arange(len(parts)), ring_part[thin_hole])]):
        mine = np.nonzero(owner == i)[0]
        feature = present[i]
        geoms[feature], found = _rebuild(parts, mine, rings, ring_part, thin_part, thin_hole)
        problems += [_thin_problem(labels[feature], codes[feature], *f, tol) for f in found]
        if geoms[feature] is None:
            message = f"{labels[feature]}: nothing is left after removing zero-width slivers"
            problems.append(
                Problem(codes[feature], Kind.EMPTY_GEOMETRY, Severity.ERROR, message, None)
            )
    return problems


def _thin(polygons_m: np.ndarray, width: float) -> np.ndarray:
    """Polygons with no point farther than width/2 from their boundary."""
    out = np.zeros(len(polygons_m), dtype=bool)
    # area <= inradius * perimeter, so only shapes with area <= perimeter * width / 2 can be thin
    candidate = shapely.area(polygons_m) <= shapely.length(polygons_m) * width / 2
    out[candidate] = shapely.is_empty(shapely.buffer(polygons_m[candidate], -width / 2))
    return out


def _rebuild(
    parts: np.ndarray,
    mine: np.ndarray,
    rings: np.ndarray,
    ring_part: np.ndarray,
    thin_part: np.ndarray,
    thin_hole: np.ndarray,
) -> tuple[BaseGeometry | None, list[tuple[str, BaseGeometry]]]:
    kept, found = [], []
    for p in mine:
        if thin_part[p]:
            found.append(("part", parts[p]))
            continue
        own = np.nonzero(ring_part == p)[0]
        holes = [rings[r] for r in own[1:] if not thin_hole[r]]
        found += [("hole", shapely.Polygon(rings[r])) for r in own[1:] if thin_hole[r]]
        kept.append(shapely.Polygon(rings[own[0]], holes))
    return (shapely.MultiPolygon(kept) if kept else None), found


def _thin_problem(
    label: str, code: str, what: str, piece: BaseGeometry, tol: Tolerances
) -> Problem:
    area = float(area_m2(piece))
    x, y = shapely.get_coordinates(shapely.point_on_surface(piece))[0]
    action = "removed" if what == "part" else "filled"
    message = (
        f"{label}: zero-width sliver {what} (thinner than {tol.sliver_width_m:g} m) {action} at "
        f"({x:.5f}, {y:.5f}), {area:,.2f} m²"
    )
    return Problem(code, Kind.SLIVER, Severity.REPAIRED, message, area)


# --- siblings: overlaps and gaps -----------------------------------------------------------------


def _sibling_checks(
    metric: np.ndarray, suspects: np.ndarray, codes: list[str], labels: list[str], tol: Tolerances
) -> list[Problem]:
    if len(metric) == 0:
        return []
    tree = shapely.STRtree(metric)
    problems = _overlaps(metric, tree, np.nonzero(suspects)[0], codes, labels, tol)
    problems += _gaps(metric, tree, not suspects.any(), codes, labels, tol)
    return problems


def _overlaps(
    metric: np.ndarray,
    tree: shapely.STRtree,
    suspects: np.ndarray,
    codes: list[str],
    labels: list[str],
    tol: Tolerances,
) -> list[Problem]:
    """Pairs whose shared area exceeds overlap_m2; only edges the coverage check flagged."""
    if len(suspects) == 0:
        return []
    src, dst = tree.query(metric[suspects], predicate="intersects")
    first, second = np.minimum(suspects[src], dst), np.maximum(suspects[src], dst)
    pairs = np.unique(np.stack([first, second], axis=1)[first != second], axis=0)
    if len(pairs) == 0:
        return []
    shared = shapely.intersection(metric[pairs[:, 0]], metric[pairs[:, 1]])
    area = shapely.area(shared)
    big = area > tol.overlap_m2
    problems = []
    for (i, j), size, where in zip(pairs[big], area[big], _lonlat(shared[big]), strict=True):
        message = f"{labels[i]} overlaps {labels[j]} by {size:,.2f} m² around {where}"
        problems.append(Problem(codes[i], Kind.OVERLAP, Severity.ERROR, message, float(size)))
    return problems


def _gaps(
    metric: np.ndarray,
    tree: shapely.STRtree,
    is_coverage: bool,
    codes: list[str],
    labels: list[str],
    tol: Tolerances,
) -> list[Problem]:
    """Holes in the union of all features that are not a hole of one feature."""
    union = shapely.coverage_union_all(metric) if is_coverage else shapely.union_all(metric)
    holes = _hole_polygons(np.asarray(shapely.get_parts(union)))
    holes = holes[shapely.area(holes) > tol.gap_m2]
    if len(holes) == 0:
        return []
    own = _hole_polygons(metric)
    holes = holes[[not _is_own_hole(h, own, tol.gap_m2) for h in holes]]
    problems = []
    for hole, where in zip(holes, _lonlat(holes), strict=True):
        around = sorted({codes[k] for k in tree.query(hole, predicate="intersects")})
        named = ", ".join(labels[codes.index(c)] for c in around[:6])
        named += f" and {len(around) - 6} more" if len(around) > 6 else ""
        size = float(shapely.area(hole))
        message = f"gap of {size:,.2f} m² at {where} between {named}"
        problems.append(
            Problem(around[0] if around else None, Kind.GAP, Severity.ERROR, message, size)
        )
    return problems


def _hole_polygons(polygons_m: np.ndarray) -> np.ndarray:
    parts = shapely.get_parts(polygons_m)
    rings, ring_part = shapely.get_rings(parts, return_index=True)
    return np.asarray(shapely.polygons(rings[_is_hole(ring_part)]), dtype=object)


def _is_own_hole(hole: BaseGeometry, own_holes: np.ndarray, tolerance: float) -> bool:
    near = own_holes[shapely.intersects(own_holes, hole)] if len(own_holes) else own_holes
    return bool(np.any(shapely.area(shapely.symmetric_difference(near, hole)) <= tolerance))


def _lonlat(geoms_m: np.ndarray) -> list[str]:
    """A point on each metric geometry, as "(lon, lat)" text."""
    if len(geoms_m) == 0:
        return []
    points = shapely.get_coordinates(to_storage(shapely.point_on_surface(geoms_m)))
    return [f"({x:.5f}, {y:.5f})" for x, y in points]


# --- parents: missing, sticking out, not covered -------------------------------------------------


def _parent_checks(
    frame: geopandas.GeoDataFrame,
    metric: np.ndarray,
    suspects: np.ndarray,
    labels: list[str],
    parents: geopandas.GeoDataFrame,
    tol: Tolerances,
) -> list[Problem]:
    parent_codes = [str(c) for c in parents["code"]]
    position = {code: i for i, code in enumerate(parent_codes)}
    wanted = list(frame["parent_code"])
    link = np.array([position.get(p, -1) if p else -1 for p in wanted], dtype=np.int64)
    problems = []
    for i in np.nonzero(link < 0)[0]:
        message = f"{labels[i]}: parent {wanted[i] or '(none)'} is not among the parent features"
        problems.append(
            Problem(frame["code"][i], Kind.MISSING_PARENT, Severity.ERROR, message, None)
        )
    parents_m = metric_geometries(parents)
    problems += _outside(frame, metric, labels, parents_m, link, parent_codes, tol)
    problems += _uncovered(metric, suspects, parents, parents_m, link, tol)
    return problems


def _outside(
    frame: geopandas.GeoDataFrame,
    metric: np.ndarray,
    labels: list[str],
    parents_m: np.ndarray,
    link: np.ndarray,
    parent_codes: list[str],
    tol: Tolerances,
) -> list[Problem]:
    linked = np.nonzero(link >= 0)[0]
    linked = linked[~covered_by(parents_m, link[linked], metric[linked])]
    outside = shapely.difference(metric[linked], parents_m[link[linked]])
    area = shapely.area(outside)
    big = area > tol.outside_parent_m2
    problems = []
    for i, size, where in zip(linked[big], area[big], _lonlat(outside[big]), strict=True):
        parent = parent_codes[link[i]]
        message = f"{labels[i]}: {size:,.2f} m² lie outside its parent {parent}, around {where}"
        problems.append(
            Problem(frame["code"][i], Kind.OUTSIDE_PARENT, Severity.ERROR, message, float(size))
        )
    return problems


def _uncovered(
    metric: np.ndarray,
    suspects: np.ndarray,
    parents: geopandas.GeoDataFrame,
    parents_m: np.ndarray,
    link: np.ndarray,
    tol: Tolerances,
) -> list[Problem]:
    """Parents (with children in the file) whose area the children leave uncovered."""
    cov = coverage(parents_m, metric, link, suspects)
    bad = np.nonzero((cov.children > 0) & (cov.uncovered_m2 > tol.gap_m2))[0]
    linked = link >= 0
    union = group_unions(metric[linked], link[linked], len(parents_m), only=bad)
    holes = shapely.difference(parents_m[bad], union[bad])
    names = parents["name"].astype(str).tolist() if "name" in parents else [""] * len(parents)
    problems = []
    for p, where in zip(bad, _lonlat(holes), strict=True):
        label = f"{parents['code'].iloc[p]} {names[p]}".strip()
        size = float(cov.uncovered_m2[p])
        message = f"{label}: {size:,.2f} m² not covered by its children, around {where}"
        problems.append(
            Problem(str(parents["code"].iloc[p]), Kind.GAP, Severity.ERROR, message, size)
        )
    return problems
