"""A simulated year of grid events (patrol reports and 12345 calls) with planted patterns.

The year is synthetic and deterministic (``numpy.random.default_rng`` seeded with ``seed``
and a purpose number): the same city and arguments give an identical DataFrame.

**Background.** Every day has a Poisson number of events per source, ``background_per_day *
scale`` times a day factor and a mild season (summer +12 %, winter -12 %):

* working day: patrol 60 %, hotline 40 % of ``background_per_day``;
* ordinary weekend day: patrol x 0.35 (patrols rest), hotline x 0.80 (residents still call);
* statutory holiday (``chinese_calendar``): patrol x 0.20, hotline x 0.55, quieter than a
  weekend.

Make-up working days (调休) count as working days. Patrol reports fall in working hours
(08:00-18:00, lunch dip); hotline calls from 07:00 to midnight with an evening peak. Categories
follow ``CATEGORY_MIX`` per source (codes of ``data/categories.csv``). Each event falls in a
grid cell drawn with probability proportional to the cell's area, uniformly inside it — an
event density that is uniform over the city, so the statistics should find nothing there.

**Planted patterns** (``PATTERNS``), each in its own street, one category, located
deterministically from the city's own layers, and recorded as ``PlantedPattern`` truth:

* ``persistent`` — 占道经营 along the longest alley of 大栅栏街道 (110102013): points uniform
  within 20 m of the alley line, about 26 a week all year.
* ``intensifying`` — 暴露垃圾 uniform over one community of 卢沟桥街道 (110106017), the
  community of median area; the weekly rate steps up every 4 weeks from 14 to 62.
* ``new`` — 乱停车 within 150 m of a site in 马家堡街道 (110106015) (a new market at the
  ``point_on_surface`` of its median-area community), about 40 a week in the last 18 days only.
* ``diminishing`` — 施工扰民 within 120 m of a construction site in 德胜街道 (110102010): 58 a
  week at the start, decaying (time constant 90 days) towards a residual 18 a week. ArcGIS calls
  a hot spot *diminishing* only while it is still hot in the final step; a site that faded to
  nothing would be a *historical* hot spot or no pattern at all.

The truth cells of a pattern are the grid cells holding at least half as much of its
footprint (alley buffer, community, site disc) as the cell holding the most. Footprints must
lie ``MIN_PATTERN_GAP_M`` apart, or ``SimulationError`` is raised.

Every event is located with ``geo.locate.Locator`` over ``city.levels()``: ``grid_code`` is
the deepest code found and the coarser codes are its prefixes.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta

import chinese_calendar
import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from shapely.geometry.base import BaseGeometry

from geo.crs import area_m2, length_m, to_metric, to_storage
from geo.locate import Locator
from grids.demo import DemoCity

TIMEZONE = "Asia/Shanghai"
DEFAULT_START = date(2025, 11, 23)
DEFAULT_BACKGROUND_PER_DAY = 170.0
"""Expected events on an ordinary working day (both sources), before ``scale``."""

MIN_PATTERN_GAP_M = 1_500.0
SOURCES = ("patrol", "hotline")
SOURCE_SHARE = {"patrol": 0.60, "hotline": 0.40}
DAY_FACTOR: dict[str, dict[str, float]] = {
    "patrol": {"workday": 1.0, "weekend": 0.35, "holiday": 0.20},
    "hotline": {"workday": 1.0, "weekend": 0.80, "holiday": 0.55},
}
SEASON_AMPLITUDE = 0.12
SEASON_PEAK_DAY_OF_YEAR = 196  # mid-July

# fmt: off
HOUR_WEIGHTS: dict[str, tuple[float, ...]] = {
    #          0    1    2    3    4    5    6    7    8    9   10   11
    #         12   13   14   15   16   17   18   19   20   21   22   23
    "patrol": (0,   0,   0,   0,   0,   0,   0,   0,  .8, 1.3, 1.4, 1.1,
               .4,  .7, 1.2, 1.3, 1.1,  .5,   0,   0,   0,   0,   0,   0),
    "hotline": (.05, .03, .02, .02, .02, .05, .2,  .6,  1.,  1.3, 1.3, 1.1,
                .8,  .9,  1.,  1.,  1.,  1.,  1.1, 1.4, 1.5, 1.3,  .8,  .4),
}
CATEGORY_MIX: dict[str, dict[str, float]] = {
    "patrol": {
        "E0401": 16, "E0101": 14, "E0201": 13, "E0404": 10, "E0104": 8, "E0403": 7,
        "E0103": 6, "E0402": 5, "E0304": 3, "E0303": 2, "E0102": 3, "C0301": 3,
        "C0102": 2, "C0101": 1, "C0103": 2, "C0401": 2, "C0402": 2, "C0202": 1, "C0201": 1,
    },
    "hotline": {
        "E0404": 16, "E0301": 13, "E0101": 10, "E0401": 9, "C0103": 8, "E0102": 5,
        "E0303": 5, "E0304": 4, "E0403": 4, "C0101": 3, "C0102": 3, "E0201": 3,
        "E0103": 3, "C0302": 3, "E0501": 1, "E0502": 2, "E0105": 2, "C0104": 1, "C0601": 5,
    },
}
# fmt: on

_BACKGROUND, _PATTERN = 1, 2  # purposes that separate the random streams


class SimulationError(ValueError):
    """The city cannot host the planted patterns (missing street, overlapping footprints)."""


@dataclass(frozen=True)
class PlantedPattern:
    """Ground truth for one planted pattern."""

    name: str
    kind: str  # "persistent" | "intensifying" | "new" | "diminishing"
    category: str
    area_code: str  # the community or street code the pattern lies in
    road_id: str | None
    cells: tuple[str, ...]
    description: str


@dataclass
class SimulatedYear:
    """The events of a simulated year and the truth about its planted patterns."""

    events: pd.DataFrame
    truth: list[PlantedPattern]
    start: date
    end: date  # the last simulated day (inclusive)


@dataclass(frozen=True)
class _PatternSpec:
    """How one pattern is placed and how its weekly rate evolves."""

    name: str
    kind: str
    category: str
    street_code: str
    footprint: str  # "alley" | "community" | "site"
    radius_m: float
    hotline_share: float
    rate: Callable[[np.ndarray, int], np.ndarray]  # (day index, days) -> events per week


def _persistent_rate(day: np.ndarray, days: int) -> np.ndarray:
    """Chronic: the same rate every week."""
    return np.full(day.shape, 26.0)


def _intensifying_rate(day: np.ndarray, days: int) -> np.ndarray:
    """Growing: up by 4 a week every 4 weeks."""
    return 14.0 + 4.0 * (day // 28)


def _new_rate(day: np.ndarray, days: int) -> np.ndarray:
    """New: nothing until the last 18 days."""
    return np.where(day >= days - 18, 40.0, 0.0)


def _diminishing_rate(day: np.ndarray, days: int) -> np.ndarray:
    """Fading: exponential decay towards a residual rate."""
    return 18.0 + 40.0 * np.exp(-day / 90.0)


PATTERNS: tuple[_PatternSpec, ...] = (
    _PatternSpec("persistent-alley-vending", "persistent", "E0401", "110102013", "alley",
                 20.0, 0.3, _persistent_rate),
    _PatternSpec("intensifying-garbage", "intensifying", "E0101", "110106017", "community",
                 0.0, 0.5, _intensifying_rate),
    _PatternSpec("new-parking", "new", "E0404", "110106015", "site", 150.0, 0.7, _new_rate),
    _PatternSpec("diminishing-construction", "diminishing", "E0301", "110102010", "site",
                 120.0, 0.9, _diminishing_rate),
)  # fmt: skip


def simulate_year(
    city: DemoCity,
    *,
    seed: int = 2026,
    start: date = DEFAULT_START,
    weeks: int = 52,
    background_per_day: float = DEFAULT_BACKGROUND_PER_DAY,
    scale: float = 1.0,
    plant: bool = True,
) -> SimulatedYear:
    """Simulate ``weeks`` of events over ``city``: uniform background plus planted patterns."""
    days = 7 * weeks
    calendar = _day_table(start, days)
    background = _background(city, calendar, seed, background_per_day * scale)
    frames, truth = [background], []
    if plant:
        placed = [_place(city, spec) for spec in PATTERNS]
        _check_gaps([p.footprint_m for p in placed])
        for number, (spec, where) in enumerate(zip(PATTERNS, placed, strict=True)):
            frames.append(_pattern_events(spec, where, calendar, seed, number, scale))
            truth.append(where.truth)
    events = _locate(city, pd.concat(frames, ignore_index=True), f"SIM{start:%y%m%d}")
    return SimulatedYear(events, truth, start, start + timedelta(days=days - 1))


# --- calendar and time of day ------------------------------------------------------------


def _day_kind(day: date) -> str:
    """'holiday' (statutory), 'weekend' (ordinary rest day) or 'workday' (incl. 调休).

    Years ``chinese_calendar`` does not know yet follow the plain weekend rule.
    """
    try:
        if chinese_calendar.is_workday(day):
            return "workday"
        on_holiday, name = chinese_calendar.get_holiday_detail(day)
    except NotImplementedError:
        return "weekend" if day.weekday() >= 5 else "workday"
    return "holiday" if on_holiday and name is not None else "weekend"


def _day_table(start: date, days: int) -> pd.DataFrame:
    """One row per day: date, kind, season factor and each source's day factor."""
    dates = [start + timedelta(days=i) for i in range(days)]
    kinds = [_day_kind(d) for d in dates]
    doy = np.array([d.timetuple().tm_yday for d in dates], dtype=float)
    season = 1.0 + SEASON_AMPLITUDE * np.cos(2 * np.pi * (doy - SEASON_PEAK_DAY_OF_YEAR) / 365.25)
    table = pd.DataFrame({"date": dates, "kind": kinds, "season": season})
    for source in SOURCES:
        table[source] = [DAY_FACTOR[source][k] for k in kinds]
    return table


def _timestamps(
    rng: np.random.Generator, day_index: np.ndarray, sources: np.ndarray, start: date
) -> pd.Series:
    """Timestamps (Asia/Shanghai, ns) for events on ``day_index`` days with the source rhythm."""
    hours = np.zeros(len(day_index), dtype=np.int64)
    for source in SOURCES:
        mask = sources == source
        weights = np.asarray(HOUR_WEIGHTS[source], dtype=float)
        hours[mask] = rng.choice(24, size=int(mask.sum()), p=weights / weights.sum())
    seconds = rng.integers(0, 3600, size=len(day_index))
    offsets = day_index.astype(np.int64) * 86_400 + hours * 3_600 + seconds
    base = np.datetime64(start.isoformat(), "s")
    naive = pd.DatetimeIndex((base + offsets.astype("timedelta64[s]")).astype("datetime64[ns]"))
    return pd.Series(naive.tz_localize(TIMEZONE))


def _categories(rng: np.random.Generator, sources: np.ndarray) -> np.ndarray:
    """A category code per event from its source's mix."""
    result = np.empty(len(sources), dtype=object)
    for source in SOURCES:
        mask = sources == source
        codes = list(CATEGORY_MIX[source])
        weights = np.array([CATEGORY_MIX[source][c] for c in codes], dtype=float)
        result[mask] = np.array(codes, dtype=object)[
            rng.choice(len(codes), size=int(mask.sum()), p=weights / weights.sum())
        ]
    return result


# --- background ---------------------------------------------------------------------------


def _background(city: DemoCity, calendar: pd.DataFrame, seed: int, per_day: float) -> pd.DataFrame:
    """Uniform background events: Poisson per day and source, area-weighted cells."""
    rng = np.random.default_rng([seed, _BACKGROUND])
    day_parts, source_parts = [], []
    for source in SOURCES:
        lam = per_day * SOURCE_SHARE[source] * calendar[source] * calendar["season"]
        n = rng.poisson(lam.to_numpy())
        day_parts.append(np.repeat(np.arange(len(calendar)), n))
        source_parts.append(np.full(int(n.sum()), source, dtype=object))
    day_index, sources = np.concatenate(day_parts), np.concatenate(source_parts)
    geoms = city.cells.geometry.to_numpy()
    weights = area_m2(geoms)
    cell = rng.choice(len(geoms), size=len(day_index), p=weights / weights.sum())
    lon, lat = _uniform_in(rng, geoms, cell)
    start = calendar["date"].iloc[0]
    return pd.DataFrame(
        {
            "at": _timestamps(rng, day_index, sources, start),
            "lon": lon,
            "lat": lat,
            "category": _categories(rng, sources),
            "source": sources,
            "pattern": "",
        }
    )


def _uniform_in(
    rng: np.random.Generator, geoms: np.ndarray, which: np.ndarray, max_rounds: int = 200
) -> tuple[np.ndarray, np.ndarray]:
    """Points uniform inside ``geoms[which]`` (rejection in each bounding box, vectorised)."""
    shapely.prepare(geoms)
    bounds = shapely.bounds(geoms)[which]
    x, y = np.empty(len(which)), np.empty(len(which))
    pending = np.arange(len(which))
    for _ in range(max_rounds):
        if len(pending) == 0:
            break
        b = bounds[pending]
        px = b[:, 0] + rng.random(len(pending)) * (b[:, 2] - b[:, 0])
        py = b[:, 1] + rng.random(len(pending)) * (b[:, 3] - b[:, 1])
        inside = shapely.contains_xy(geoms[which[pending]], px, py)
        x[pending[inside]], y[pending[inside]] = px[inside], py[inside]
        pending = pending[~inside]
    if len(pending):  # slivers: fall back to a point surely inside
        fallback = shapely.get_coordinates(shapely.point_on_surface(geoms[which[pending]]))
        x[pending], y[pending] = fallback[:, 0], fallback[:, 1]
    return x, y


# --- planted patterns ---------------------------------------------------------------------


@dataclass(frozen=True)
class _Placed:
    footprint_m: BaseGeometry
    truth: PlantedPattern


def _place(city: DemoCity, spec: _PatternSpec) -> _Placed:
    """Locate a pattern's footprint in the city and compute its truth cells."""
    if spec.street_code not in set(city.streets["code"]):
        raise SimulationError(f"pattern {spec.name}: street {spec.street_code} is not in the city")
    road_id: str | None = None
    if spec.footprint == "alley":
        roads = city.roads[(city.roads["street_code"] == spec.street_code)]
        alleys = roads[roads["kind"] == "alley"]
        if alleys.empty:
            raise SimulationError(f"pattern {spec.name}: no alley in street {spec.street_code}")
        lengths = length_m(alleys.geometry.to_numpy())
        order = np.lexsort((alleys["id"].to_numpy(), -np.round(lengths, 3)))
        alley = alleys.iloc[int(order[0])]
        road_id = str(alley["id"])
        footprint_m = shapely.buffer(to_metric(alley.geometry), spec.radius_m)
        area_code, where = spec.street_code, f"the alley {alley['name']} ({road_id})"
    else:
        community = _median_community(city, spec.street_code)
        area_code = str(community["code"])
        if spec.footprint == "community":
            footprint_m = to_metric(community.geometry)
            where = f"community {community['name']} ({area_code})"
        else:
            centre = to_metric(shapely.point_on_surface(community.geometry))
            footprint_m = shapely.buffer(centre, spec.radius_m)
            where = f"a {spec.radius_m:.0f} m site in {community['name']} ({area_code})"
    cells = _truth_cells(city.cells, footprint_m)
    description = f"{spec.kind} {spec.category} in {where}"
    truth = PlantedPattern(
        spec.name, spec.kind, spec.category, area_code, road_id, cells, description
    )
    return _Placed(footprint_m, truth)


def _median_community(city: DemoCity, street_code: str) -> pd.Series:
    """The community of median area in a street (ties by code)."""
    rows = city.communities[city.communities["parent_code"] == street_code]
    if rows.empty:
        raise SimulationError(f"street {street_code} has no communities")
    areas = np.round(area_m2(rows.geometry.to_numpy()), 3)
    order = np.lexsort((rows["code"].to_numpy(), areas))
    return rows.iloc[int(order[len(order) // 2])]


def _truth_cells(cells: gpd.GeoDataFrame, footprint_m: BaseGeometry) -> tuple[str, ...]:
    """Cells holding at least half as much of the footprint as the cell holding most."""
    footprint = to_storage(footprint_m)
    hit = cells[cells.intersects(footprint)]
    shares = area_m2(shapely.intersection(hit.geometry.to_numpy(), footprint))
    keep = shares >= 0.5 * shares.max()
    return tuple(sorted(hit["code"].astype(str).to_numpy()[keep]))


def _check_gaps(footprints: list[BaseGeometry]) -> None:
    """Raise SimulationError when two pattern footprints are closer than MIN_PATTERN_GAP_M."""
    for i, a in enumerate(footprints):
        for j in range(i + 1, len(footprints)):
            gap = float(shapely.distance(a, footprints[j]))
            if gap < MIN_PATTERN_GAP_M:
                raise SimulationError(
                    f"patterns {PATTERNS[i].name} and {PATTERNS[j].name} are {gap:.0f} m apart"
                )


def _pattern_events(
    spec: _PatternSpec,
    placed: _Placed,
    calendar: pd.DataFrame,
    seed: int,
    number: int,
    scale: float,
) -> pd.DataFrame:
    """Events of one pattern: its weekly rate spread over days by the sources' rhythm."""
    rng = np.random.default_rng([seed, _PATTERN, number])
    days = len(calendar)
    day = np.arange(days)
    shares = {"patrol": 1.0 - spec.hotline_share, "hotline": spec.hotline_share}
    day_parts, source_parts = [], []
    for source in SOURCES:
        factor = calendar[source].to_numpy()
        lam = spec.rate(day, days) / 7.0 * scale * shares[source] * factor / factor.mean()
        n = rng.poisson(lam)
        day_parts.append(np.repeat(day, n))
        source_parts.append(np.full(int(n.sum()), source, dtype=object))
    day_index, sources = np.concatenate(day_parts), np.concatenate(source_parts)
    lon, lat = _uniform_in_footprint(rng, placed.footprint_m, len(day_index))
    return pd.DataFrame(
        {
            "at": _timestamps(rng, day_index, sources, calendar["date"].iloc[0]),
            "lon": lon,
            "lat": lat,
            "category": spec.category,
            "source": sources,
            "pattern": spec.name,
        }
    )


def _uniform_in_footprint(
    rng: np.random.Generator, footprint_m: BaseGeometry, n: int
) -> tuple[np.ndarray, np.ndarray]:
    """``n`` points uniform in a metric footprint, returned as lon/lat."""
    geoms = np.array([footprint_m], dtype=object)
    x, y = _uniform_in(rng, geoms, np.zeros(n, dtype=np.int64))
    lonlat = shapely.get_coordinates(to_storage(shapely.points(x, y)))
    return lonlat[:, 0], lonlat[:, 1]


# --- locating and the final frame ------------------------------------------------------------


def _locate(city: DemoCity, events: pd.DataFrame, prefix: str) -> pd.DataFrame:
    """Sort, number and locate the events; add the grid/community/street/district codes."""
    events = events.sort_values(["at", "source", "lon", "lat"], ignore_index=True, kind="stable")
    codes = Locator(city.levels(), generation=1).locate_codes(
        events["lon"].to_numpy(), events["lat"].to_numpy()
    )
    code = pd.Series(codes, dtype=object).astype(str)
    frame = pd.DataFrame(
        {
            "event_id": [f"{prefix}-{i:06d}" for i in range(len(events))],
            "at": events["at"].astype(pd.DatetimeTZDtype("ns", TIMEZONE)),
            "lon": events["lon"].astype(float),
            "lat": events["lat"].astype(float),
            "category": events["category"].astype(str),
            "source": events["source"].astype(str),
            "grid_code": code.where(code.str.len() >= 15, "").str[:15],
            "community_code": code.where(code.str.len() >= 12, "").str[:12],
            "street_code": code.where(code.str.len() >= 9, "").str[:9],
            "district_code": code.str[:6],
            "pattern": events["pattern"].astype(str),
        }
    )
    return frame
