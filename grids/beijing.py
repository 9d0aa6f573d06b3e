"""Beijing as a demo city: 16 districts, 349 streets/towns, 7,535 communities/villages.

Real: every name and code (NBS 2023, ``data/beijing``) and each district's commonly cited
area; with ``districts=``, the given district outlines. Synthetic, and flagged so: everything
else, built the way ``grids.demo`` builds the 3-district city, at the scale of the whole city.

- **Districts.** 东城, 西城 and 丰台 are the demo city's hand-drawn outlines with one outer
  edge moved east or west until each has its cited area (or the given outlines). The other
  13 districts share the rest of a hand-drawn ring around Beijing (``outline.csv``), scaled so
  that they add up to their cited areas, as a power diagram around a rough centre per district
  (``district_centres.csv``) whose weights are fitted to the cited areas (``grids.power``).
- **Streets/towns.** A district whose units are all of one kind (e.g. all 街道) is tiled like
  the demo city (equal-area Voronoi pieces). Otherwise its units get areas in the ratio of
  ``UNIT_WEIGHTS`` (a 镇 or 乡 about eight times a 街道) in a power diagram; the lowest codes
  (the 街道) take the seeds nearest 天安门, so towns lie on the rural side.
- **Communities/villages** tile their street as in the demo city; **cells** follow
  ``cell_area_m2`` (``docs/city.md``); roads, chiefs and the three land-use zones are drawn in
  every district with the demo city's code.
- **The simulated year** (``simulate_city_year``) is ``grids.simulate``'s year at the
  hotline's volume (``event_volume.csv``), sampled: every cell is equally likely (cells are
  small where the city is dense), events come in time-ordered chunks of a few weeks.

Deterministic under ``seed`` like ``grids.demo``. ``district_codes`` builds a slice: the same
district outlines, with streets, communities, cells, roads and zones for those districts only.
"""

from __future__ import annotations

from collections.abc import Collection, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
import shapely.affinity
from scipy.optimize import brentq
from shapely.geometry import MultiPolygon, Polygon
from shapely.geometry.base import BaseGeometry

from geo.codes import Level
from geo.crs import STORAGE_SRID, area_m2, to_metric
from geo.locate import Locator
from grids import demo, power, simulate
from grids.cells import TARGET_MAX_CELLS, generate_cells

DATA_DIR = Path(__file__).resolve().parents[1] / "data" / "beijing"
INNER = ("110101", "110102", "110106")
"""东城, 西城, 丰台: the districts the demo city draws by hand (or ``districts=`` gives)."""

URBAN_CELL_AREA_M2 = 10_000.0
TOWN_CELL_AREA_M2 = 250_000.0
TOWNSHIP_CELL_AREA_M2 = 1_000_000.0

UNIT_WEIGHTS: dict[str, float] = {"街道": 1.0, "镇": 8.0, "乡": 8.0, "特殊": 3.0}
"""Relative synthetic area of a unit of each kind inside one district."""

_AREA_TOL = 0.002
_LLOYD_STEPS = 2
_FIT_SIMPLIFY_M = 20.0
_ZONE_LETTERS = {"river": "R", "farmland": "F", "forest": "M"}
_ZONE_SUFFIXES = {"river": "河道", "farmland": "农田", "forest": "林地"}
_EDGE_SHIFTS: dict[str, tuple[str, Sequence[int], float]] = {
    # district: (which outer edge of grids.demo, the vertices moved, direction in lon)
    "110101": ("dc", (1, 2, 3, 4), 1.0),
    "110102": ("xc", (2, 3, 4), -1.0),
    "110106": ("ft", (2, 3, 4), -1.0),
}


@dataclass(frozen=True)
class BeijingData:
    """The whole city's names, codes, cited areas, rough centres and outline ring."""

    districts: pd.DataFrame  # code, name, parent_code
    streets: pd.DataFrame
    communities: pd.DataFrame
    areas_km2: dict[str, float]
    centres: dict[str, tuple[float, float]]
    outline: Polygon


def read_beijing(directory: Path = DATA_DIR) -> BeijingData:
    """Read ``data/beijing``: divisions, cited areas, centres (lon, lat) and the outline ring."""
    divisions = demo._load_divisions(directory)
    areas = pd.read_csv(directory / "district_areas.csv", dtype={"code": str})
    centres = pd.read_csv(directory / "district_centres.csv", dtype={"code": str})
    ring = pd.read_csv(directory / "outline.csv")
    return BeijingData(
        districts=divisions.districts,
        streets=divisions.streets,
        communities=divisions.communities,
        areas_km2=dict(zip(areas["code"], areas["area_km2"].astype(float), strict=True)),
        centres={
            c: (x, y)
            for c, x, y in zip(centres["code"], centres["lon"], centres["lat"], strict=True)
        },
        outline=Polygon(ring[["lon", "lat"]].to_numpy()),
    )


def unit_kind(street_code: str) -> str:
    """The kind of a 9-digit street/town code: 街道 001-099, 镇 100-199, 乡 200-399, else 特殊.

    >>> unit_kind("110101001"), unit_kind("110109101"), unit_kind("110111206")
    ('街道', '镇', '乡')
    """
    number = int(street_code[6:9])
    if number < 100:
        return "街道"
    if number < 200:
        return "镇"
    return "乡" if number < 400 else "特殊"


def base_cell_area_m2(street_code: str, urban_m2: float = URBAN_CELL_AREA_M2) -> float:
    """The cell area a community starts from, by the kind of its street or town.

    街道 and special units (4xx: development zones, the airport) take ``urban_m2`` (the
    万米单元网格, 10,000 m²); 镇 take ``TOWN_CELL_AREA_M2`` and 乡 ``TOWNSHIP_CELL_AREA_M2``
    (never less than ``urban_m2``).

    >>> base_cell_area_m2("110101001"), base_cell_area_m2("110109101")
    (10000.0, 250000.0)
    """
    kind = unit_kind(street_code)
    if kind == "镇":
        return max(TOWN_CELL_AREA_M2, urban_m2)
    if kind == "乡":
        return max(TOWNSHIP_CELL_AREA_M2, urban_m2)
    return urban_m2


def cell_area_m2(
    street_code: str, community_area_m2: float, urban_m2: float = URBAN_CELL_AREA_M2
) -> float:
    """The cell area of one community: its base area, raised so that it needs ≤ 999 cells.

    The raise (to ``area / 990``) and any further one when border pieces push the count over
    999 are ``grids.cells.generate_cells``' rule 4.

    >>> cell_area_m2("110101001", 2_000_000.0), cell_area_m2("110101001", 19_800_000.0)
    (10000.0, 20000.0)
    """
    return max(base_cell_area_m2(street_code, urban_m2), community_area_m2 / TARGET_MAX_CELLS)


def build_beijing_city(
    *,
    districts: gpd.GeoDataFrame | None = None,
    seed: int = demo.DEFAULT_SEED,
    cell_area_m2: float = URBAN_CELL_AREA_M2,
    district_codes: Collection[str] | None = None,
    data_dir: Path = DATA_DIR,
) -> demo.DemoCity:
    """Build the whole city (or the ``district_codes`` slice); ``cell_area_m2`` is the 街道 cell."""
    data = read_beijing(data_dir)
    outlines, given = district_outlines(data, given=districts)
    chosen = sorted(district_codes or outlines)
    unknown = sorted(set(chosen) - set(outlines))
    if unknown:
        raise demo.DemoCityError(f"no such districts in data/beijing: {unknown}")
    rows = data.districts[data.districts["code"].isin(chosen)]
    district_layer = demo._frame(
        rows.assign(level=Level.DISTRICT.value, synthetic=[c not in given for c in rows["code"]]),
        [outlines[c] for c in rows["code"]],
    )
    streets = _street_layer(district_layer, data.streets, seed)
    if set(demo.JOINT_STREETS) <= set(streets["code"]):
        demo.check_joint_site(streets)
    communities = demo._child_layer(streets, data.communities, Level.COMMUNITY, seed)
    cells = _cells(communities, cell_area_m2)
    roads, chiefs = _roads_and_chiefs(streets, seed)
    zones = _zone_layer(district_layer, seed)
    return demo.DemoCity(district_layer, streets, communities, cells, roads, chiefs, zones)


# --- districts ----------------------------------------------------------------------------


def district_outlines(
    data: BeijingData, *, given: gpd.GeoDataFrame | None = None
) -> tuple[dict[str, MultiPolygon], set[str]]:
    """All 16 outlines (lon/lat) and the codes among them that were ``given``."""
    codes = data.districts["code"].tolist()
    if given is None:
        fixed = _inner_outlines(data.areas_km2)
    else:
        given_codes = set(given["code"].astype(str))
        if not given_codes <= set(codes):
            raise demo.DemoCityError(
                f"districts= has codes outside Beijing: {given_codes - set(codes)}"
            )
        fixed = demo._given_outlines(given, sorted(given_codes))
    missing = sorted({"110102", "110106"} - set(fixed))
    if missing:
        raise demo.DemoCityError(f"districts= lacks {missing}, the joint site's districts")
    rest = [c for c in codes if c not in fixed]
    outlines = {**fixed, **_power_districts(data, fixed, rest)} if rest else fixed
    dense = demo._densified(outlines)
    return {c: dense[c] for c in codes}, set() if given is None else set(fixed)


def _inner_outlines(areas_km2: Mapping[str, float]) -> dict[str, MultiPolygon]:
    """The demo city's three outlines, each outer edge moved until the cited area is met."""
    shifts = {code: _edge_shift(code, areas_km2[code] * 1e6) for code in INNER}
    return demo._synthetic_outlines(**_shifted_edges(shifts))


def _shifted_edges(shifts: Mapping[str, float]) -> dict[str, list[tuple[float, float]]]:
    """The demo city's outer edges with the chosen vertices moved by ``shifts`` (degrees)."""
    edges = {"dc": demo._DC_OUTER, "xc": demo._XC_OUTER, "ft": demo._FT_OUTER}
    out: dict[str, list[tuple[float, float]]] = {}
    for key, points in edges.items():
        moved = [(x, y) for x, y in points]
        for code, (edge, indices, sign) in _EDGE_SHIFTS.items():
            if edge == key:
                for i in indices:
                    moved[i] = (moved[i][0] + sign * shifts.get(code, 0.0), moved[i][1])
        out[f"{key}_outer"] = moved
    return out


def _edge_shift(code: str, target_m2: float) -> float:
    """The shift (degrees) of ``code``'s outer edge that gives it ``target_m2``."""

    def excess(shift: float) -> float:
        outline = demo._synthetic_outlines(**_shifted_edges({code: shift}))[code]
        return float(area_m2(outline)) - target_m2

    return float(brentq(excess, -0.03, 0.08, xtol=1e-7))


def _power_districts(
    data: BeijingData, fixed: Mapping[str, MultiPolygon], codes: Sequence[str]
) -> dict[str, MultiPolygon]:
    """The ``codes`` districts as a power diagram on the scaled ring minus the ``fixed`` ones."""
    inner = shapely.union_all(list(fixed.values()), grid_size=demo.GRID_SIZE)
    targets = np.array([data.areas_km2[c] * 1e6 for c in codes])
    ring_m = demo._metric(data.outline)
    factor = np.sqrt((targets.sum() + float(area_m2(inner))) / ring_m.area)
    scaled = shapely.affinity.scale(ring_m, factor, factor, origin="centroid")
    outline = demo._polygonal(shapely.segmentize(demo._lonlat(scaled), demo.DENSIFY_DEG))
    domain = demo._polygonal(shapely.difference(outline, inner, grid_size=demo.GRID_SIZE))
    sites = shapely.get_coordinates(to_metric(shapely.points([data.centres[c] for c in codes])))
    pieces = _power_pieces(domain, sites, targets, rel_tol=_AREA_TOL)
    return dict(zip(codes, pieces, strict=True))


def _power_pieces(
    parent: MultiPolygon, sites: np.ndarray, targets: np.ndarray, *, rel_tol: float
) -> list[MultiPolygon]:
    """``parent`` (lon/lat) cut into one piece per metric site, sized by ``targets``."""
    parent_m = demo._metric(parent)
    fit_domain = shapely.simplify(parent_m, _FIT_SIMPLIFY_M)
    weights = power.fit_weights(fit_domain, sites, targets, rel_tol=rel_tol)
    bounds = demo._extent(parent_m).bounds
    faces = demo._cut_faces(power.power_edges(sites, weights, bounds), parent)
    xy = shapely.get_coordinates(to_metric(shapely.point_on_surface(faces)))
    pieces = demo._pieces(faces, power.power_owner(xy, sites, weights), len(sites))
    if shapely.is_empty(pieces).any():
        raise demo.DemoCityError("a power-diagram piece got no area")
    return [demo._polygonal(p) for p in pieces]


# --- streets ------------------------------------------------------------------------------


def _street_layer(districts: gpd.GeoDataFrame, rows: pd.DataFrame, seed: int) -> gpd.GeoDataFrame:
    """Tile every district with its streets/towns (equal areas when all are of one kind)."""
    geoms: dict[str, MultiPolygon] = {}
    for code, district in zip(districts["code"], districts.geometry, strict=True):
        codes = rows.loc[rows["parent_code"] == code, "code"].tolist()
        rng = demo._rng(seed, code, demo._SEEDS)
        pinned = demo._pinned_seeds(district, codes)
        if len({unit_kind(c) for c in codes}) == 1:
            geoms |= demo._tile(district, codes, rng, pinned)
        else:
            geoms |= _weighted_tile(district, codes, rng, pinned)
    frame = rows[rows["code"].isin(geoms)].assign(level=Level.STREET.value, synthetic=True)
    return demo._frame(frame, [geoms[c] for c in frame["code"]])


def _weighted_tile(
    parent: MultiPolygon,
    codes: Sequence[str],
    rng: np.random.Generator,
    pinned: Mapping[str, np.ndarray],
) -> dict[str, MultiPolygon]:
    """Cut ``parent`` into pieces sized by ``UNIT_WEIGHTS``; low codes nearest 天安门."""
    parent_m = demo._metric(parent)
    fixed = np.array(list(pinned.values())).reshape(-1, 2)
    free = demo._sample(rng, parent_m, len(codes) - len(fixed), fixed)
    free_codes = sorted(set(codes) - set(pinned))
    ordered = [*pinned, *(free_codes[r] for r in demo._outward_rank(free))]
    points = np.vstack([fixed, free])
    targets = np.array([UNIT_WEIGHTS[unit_kind(c)] for c in ordered]) * parent_m.area
    points = _power_relax(points, len(fixed), parent_m, targets)
    pieces = _power_pieces(parent, points, targets, rel_tol=0.02)
    return dict(zip(ordered, pieces, strict=True))


def _power_relax(
    points: np.ndarray, n_fixed: int, area_m: BaseGeometry, targets: np.ndarray
) -> np.ndarray:
    """Lloyd steps on the fitted power diagram: free seeds move to their piece's centroid."""
    domain = shapely.simplify(area_m, _FIT_SIMPLIFY_M)
    bounds = demo._extent(area_m).bounds
    points = points.copy()
    for _ in range(_LLOYD_STEPS):
        weights = power.fit_weights(domain, points, targets, rel_tol=0.05)
        pieces = shapely.intersection(power.power_cells(points, weights, bounds), domain)
        centroids = shapely.get_coordinates(shapely.centroid(pieces), include_z=False)
        if len(centroids) != len(points):
            break
        ok = shapely.contains_xy(domain, centroids[:, 0], centroids[:, 1])
        ok &= demo._far_from(centroids, points[:n_fixed])
        ok[:n_fixed] = False
        points[ok] = centroids[ok]
    return points


# --- cells, roads, zones ------------------------------------------------------------------


def _cells(communities: gpd.GeoDataFrame, urban_m2: float) -> gpd.GeoDataFrame:
    """Unit cells of every community at its base cell area (``cell_area_m2``'s rule)."""
    base = np.array([base_cell_area_m2(c[:9], urban_m2) for c in communities["code"]])
    parts = [
        generate_cells(communities[base == area], cell_area_m2=float(area))
        for area in np.unique(base)
    ]
    frame = pd.concat(parts, ignore_index=True)
    return gpd.GeoDataFrame(frame, geometry="geometry", crs=STORAGE_SRID).sort_values(
        "code", ignore_index=True
    )


def _roads_and_chiefs(
    streets: gpd.GeoDataFrame, seed: int
) -> tuple[gpd.GeoDataFrame, pd.DataFrame]:
    """The demo city's roads and chiefs, drawn district by district (names unique per district)."""
    district = streets["code"].str[:6]
    parts = [demo._roads_and_chiefs(streets[district == d], seed) for d in sorted(set(district))]
    roads = pd.concat([r for r, _ in parts], ignore_index=True).sort_values("id", ignore_index=True)
    chiefs = pd.concat([c for _, c in parts], ignore_index=True)
    return gpd.GeoDataFrame(roads, geometry="geometry", crs=STORAGE_SRID), chiefs


def _zone_layer(districts: gpd.GeoDataFrame, seed: int) -> gpd.GeoDataFrame:
    """River, farmland and forest in every district, coded letter + district code (R110105)."""
    rows: list[dict[str, object]] = []
    for code, name, district in zip(
        districts["code"], districts["name"], districts.geometry, strict=True
    ):
        shapes = demo._zone_shapes(demo._metric(district), demo._rng(seed, code, demo._ZONES))
        for kind, shape_m in shapes.items():
            shape = shapely.segmentize(demo._lonlat(shape_m), demo.DENSIFY_DEG)
            geom = demo._largest_part(
                shapely.intersection(shape, district, grid_size=demo.GRID_SIZE)
            )
            rows.append({"code": f"{_ZONE_LETTERS[kind]}{code}", "kind": kind,
                         "name": f"{name}{_ZONE_SUFFIXES[kind]}", "district_code": code,
                         "synthetic": True, "geometry": geom})  # fmt: skip
    frame = gpd.GeoDataFrame(rows, geometry="geometry", crs=STORAGE_SRID)
    return frame[demo._ZONE_COLUMNS].sort_values("code", ignore_index=True)


# --- the simulated year -------------------------------------------------------------------

DEMO_CELL_RATE = simulate.DEFAULT_BACKGROUND_PER_DAY / 39_421
"""Working-day events per cell in the 3-district demo year (39,421 cells of 10,000 m²): the
density at which the planted patterns have their ``grids.simulate`` rates."""


@dataclass(frozen=True)
class VolumeFigures:
    """``event_volume.csv``: the hotline's yearly tickets, the patrol share, the default sample."""

    hotline_per_year: int
    patrol_share_workday: float
    default_sample: float


@dataclass(frozen=True)
class EventVolume:
    """How big a simulated year is: the whole year's events and the fraction simulated.

    ``tag`` is how the loaded city records it (in its generation's ``source``), so that
    analyses can scale counts back up by ``1 / sample``.

    >>> volume = EventVolume(events_per_year=48_000_000, sample=0.01)
    >>> volume.tag(), volume.expected
    ('events_per_year=48000000 sample=0.01', 480000.0)
    >>> EventVolume.from_tag("demo seed=1 city=beijing events_per_year=48000000 sample=0.01")
    EventVolume(events_per_year=48000000, sample=0.01)
    """

    events_per_year: int
    sample: float

    def __post_init__(self) -> None:
        if self.events_per_year < 0:
            raise ValueError(f"events_per_year must be ≥ 0, not {self.events_per_year}")
        if not 0.0 < self.sample <= 1.0:
            raise ValueError(f"sample must lie in (0, 1], not {self.sample}")

    @property
    def expected(self) -> float:
        """Events expected in the simulated sample (background only)."""
        return self.events_per_year * self.sample

    def tag(self) -> str:
        return f"events_per_year={self.events_per_year} sample={self.sample:g}"

    @classmethod
    def from_tag(cls, text: str | None) -> EventVolume | None:
        """The volume recorded in ``text`` (a generation's source), or None."""
        fields = dict(t.split("=", 1) for t in (text or "").split() if "=" in t)
        if "events_per_year" not in fields or "sample" not in fields:
            return None
        return cls(int(fields["events_per_year"]), float(fields["sample"]))


def read_volume(directory: Path = DATA_DIR) -> VolumeFigures:
    """Read ``event_volume.csv`` (figure, value, source)."""
    table = pd.read_csv(directory / "event_volume.csv", dtype={"figure": str})
    values = dict(zip(table["figure"], table["value"].astype(float), strict=True))
    return VolumeFigures(
        hotline_per_year=int(values["hotline_tickets_2023"]),
        patrol_share_workday=values["patrol_share_workday"],
        default_sample=values["default_sample"],
    )


def source_shares(
    patrol_share_workday: float, *, start: date = simulate.DEFAULT_START, weeks: int = 52
) -> dict[str, float]:
    """Each source's expected share of the events of ``weeks`` from ``start``.

    Patrols rest at weekends and on holidays (``grids.simulate.DAY_FACTOR``), so their share
    of the year is below their share of a working day.
    """
    calendar = simulate._day_table(start, 7 * weeks)
    shares = _workday_shares(patrol_share_workday)
    totals = {s: float((shares[s] * calendar[s] * calendar["season"]).sum()) for s in shares}
    return {s: t / sum(totals.values()) for s, t in totals.items()}


def default_volume(
    figures: VolumeFigures | None = None,
    *,
    start: date = simulate.DEFAULT_START,
    weeks: int = 52,
) -> EventVolume:
    """The hotline's yearly tickets plus the patrol reports of the same year, sampled at the
    default fraction: hotline tickets / the hotline's share of the simulated year."""
    figures = figures or read_volume()
    hotline = source_shares(figures.patrol_share_workday, start=start, weeks=weeks)["hotline"]
    return EventVolume(round(figures.hotline_per_year / hotline), figures.default_sample)


def simulate_city_year(
    city: demo.DemoCity,
    *,
    volume: EventVolume,
    patrol_share_workday: float = 0.60,
    seed: int = 2026,
    start: date = simulate.DEFAULT_START,
    weeks: int = 52,
    chunk_weeks: int = 4,
) -> tuple[list[simulate.PlantedPattern], Iterator[pd.DataFrame]]:
    """The simulated year over the whole city: its planted truth and its events, in time
    order, ``chunk_weeks`` at a time (the columns of ``grids.simulate.SimulatedYear.events``).

    ``grids.simulate``'s background, calendar, time of day and categories, with three
    changes for a city of unequal cells: the day's expected count is ``volume.expected``
    spread over the weeks, split between patrol and hotline by ``patrol_share_workday``;
    **every cell is equally likely** (urban cells are 10,000 m², town cells 25 times that, so
    the density follows the cell size, not the area); an event's codes are those of the cell
    it was drawn in. The planted patterns are placed when their streets are in ``city``, at
    their ``grids.simulate`` rates times the background's events per cell against the demo
    year's (``DEMO_CELL_RATE``), so they stand out as much as they do there.
    """
    days = 7 * weeks
    calendar = simulate._day_table(start, days)
    shares = _workday_shares(patrol_share_workday)
    weight = sum(float((shares[s] * calendar[s] * calendar["season"]).sum()) for s in shares)
    per_day = volume.expected / weight  # events on an ordinary working day
    cells = city.cells.sort_values("code", ignore_index=True)
    if cells.empty:
        raise ValueError("the city has no grid cells to simulate events in")
    streets = set(city.streets["code"])
    plant = all(spec.street_code in streets for spec in simulate.PATTERNS)
    truth: list[simulate.PlantedPattern] = []
    patterns = pd.DataFrame()
    if plant:
        scale = per_day / len(cells) / DEMO_CELL_RATE
        truth, patterns = _planted(city, calendar, seed, scale)
    return truth, _chunks(cells, calendar, shares, per_day, patterns, seed, chunk_weeks, start)


def _workday_shares(patrol_share_workday: float) -> dict[str, float]:
    if not 0.0 <= patrol_share_workday <= 1.0:
        raise ValueError(f"patrol_share_workday must lie in [0, 1], not {patrol_share_workday}")
    return {"patrol": patrol_share_workday, "hotline": 1.0 - patrol_share_workday}


def _planted(
    city: demo.DemoCity, calendar: pd.DataFrame, seed: int, scale: float
) -> tuple[list[simulate.PlantedPattern], pd.DataFrame]:
    """The planted patterns' truth and events, located among the cells near them."""
    placed = [simulate._place(city, spec) for spec in simulate.PATTERNS]
    simulate._check_gaps([p.footprint_m for p in placed])
    frames = [
        simulate._pattern_events(spec, where, calendar, seed, number, scale)
        for number, (spec, where) in enumerate(zip(simulate.PATTERNS, placed, strict=True))
    ]
    events = pd.concat(frames, ignore_index=True)
    reach = shapely.buffer(shapely.union_all([demo._lonlat(p.footprint_m) for p in placed]), 0.001)
    near = city.cells[city.cells.intersects(reach)]
    locator = Locator({Level.DISTRICT: city.districts, Level.GRID: near}, generation=1)
    codes = locator.locate_codes(events["lon"].to_numpy(), events["lat"].to_numpy())
    return [p.truth for p in placed], events.assign(code=codes)


def _chunks(
    cells: gpd.GeoDataFrame,
    calendar: pd.DataFrame,
    shares: Mapping[str, float],
    per_day: float,
    patterns: pd.DataFrame,
    seed: int,
    chunk_weeks: int,
    start: date,
) -> Iterator[pd.DataFrame]:
    geoms = cells.geometry.to_numpy()
    codes = cells["code"].astype(str).to_numpy()
    numbered = 0
    for chunk, first in enumerate(range(0, len(calendar), 7 * chunk_weeks)):
        days = np.arange(first, min(first + 7 * chunk_weeks, len(calendar)))
        rng = np.random.default_rng([seed, simulate._BACKGROUND, chunk])
        day_parts, source_parts = [], []
        for source, share in shares.items():
            table = calendar.iloc[days]
            lam = per_day * share * table[source].to_numpy() * table["season"].to_numpy()
            n = rng.poisson(lam)
            day_parts.append(np.repeat(days, n))
            source_parts.append(np.full(int(n.sum()), source, dtype=object))
        day_index, sources = np.concatenate(day_parts), np.concatenate(source_parts)
        cell = rng.integers(0, len(geoms), size=len(day_index))
        lon, lat = simulate._uniform_in(rng, geoms, cell)
        background = pd.DataFrame(
            {
                "at": simulate._timestamps(rng, day_index, sources, start),
                "lon": lon,
                "lat": lat,
                "category": simulate._categories(rng, sources),
                "source": sources,
                "pattern": "",
                "code": codes[cell],
            }
        )
        end = pd.Timestamp(start + timedelta(days=int(days[-1]) + 1), tz=simulate.TIMEZONE)
        begin = pd.Timestamp(start + timedelta(days=first), tz=simulate.TIMEZONE)
        frame = background
        if not patterns.empty:
            mine = patterns[(patterns["at"] >= begin) & (patterns["at"] < end)]
            frame = pd.concat([background, mine], ignore_index=True)
        frame = frame.sort_values(["at", "source", "lon", "lat"], ignore_index=True, kind="stable")
        yield _events(frame, f"BJ{start:%y%m%d}", numbered)
        numbered += len(frame)


def _events(frame: pd.DataFrame, prefix: str, first: int) -> pd.DataFrame:
    """The columns of ``grids.simulate.SimulatedYear.events`` from located rows."""
    code = frame["code"].astype(str)
    number = np.arange(first, first + len(frame))
    return pd.DataFrame(
        {
            "event_id": [f"{prefix}-{i:08d}" for i in number],
            "at": frame["at"].astype(pd.DatetimeTZDtype("ns", simulate.TIMEZONE)),
            "lon": frame["lon"].astype(float),
            "lat": frame["lat"].astype(float),
            "category": frame["category"].astype(str),
            "source": frame["source"].astype(str),
            "grid_code": code.where(code.str.len() >= 15, "").str[:15],
            "community_code": code.where(code.str.len() >= 12, "").str[:12],
            "street_code": code.where(code.str.len() >= 9, "").str[:9],
            "district_code": code.str[:6],
            "pattern": frame["pattern"].astype(str),
        }
    )


__all__ = [
    "DATA_DIR",
    "INNER",
    "UNIT_WEIGHTS",
    "BeijingData",
    "EventVolume",
    "VolumeFigures",
    "base_cell_area_m2",
    "build_beijing_city",
    "cell_area_m2",
    "default_volume",
    "district_outlines",
    "read_beijing",
    "read_volume",
    "simulate_city_year",
    "source_shares",
    "unit_kind",
]
