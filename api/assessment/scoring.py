"""一哨一考核: one department's score on one whistle, from its timeline (pure).

A score has three dimensions, each 100 points less itemised deductions (never below 0):
按时签收 (acknowledge), 及时响应办理 (handling: on site, resolution, extensions, reopenings,
disputes) and 满意度 (satisfaction, carried by the overall lead). The whistle score is the
weighted mean of the dimensions counted. The rules are data (``data/assessment.toml``).
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from pathlib import Path
from types import MappingProxyType
from typing import Any

from api.deadlines.calendar import TZ, to_local

DIMENSIONS = ("acknowledge", "handling", "satisfaction")
STAR_LABELS = {5: "非常满意", 4: "基本满意", 3: "一般", 2: "不满意", 1: "非常不满意"}
RATING_SOURCES = frozenset({"reporter", "resident", "callback"})
"""Ratings that count as satisfaction by default: the reporter's, a resident's, the 12345
call-back's. A street's (or community's) own closing rating is recorded, not counted."""
_HOURS = re.compile(r"(?P<n>\d+(?:\.\d+)?)h")


class DisputeOutcome(StrEnum):
    """What became of a department's 派单异议."""

    PENDING = "pending"  # the case still waits for the dispatcher
    UPHELD = "upheld"  # re-routed away from the department (or taken back by the street)
    NOT_UPHELD = "not_upheld"  # the next whistle summoned the department again


@dataclass(frozen=True)
class Lateness:
    """``points`` per started ``unit`` past the due time, at most ``cap``."""

    points: float
    unit: timedelta
    cap: float

    def started(self, late: timedelta) -> int:
        """How many units of lateness have started (0 when on time)."""
        return 0 if late <= timedelta(0) else -(-late // self.unit)

    def deduct(self, late: timedelta) -> float:
        """The deduction for being ``late``."""
        return min(self.cap, self.started(late) * self.points)


@dataclass(frozen=True)
class Rules:
    """Weights and deductions (``data/assessment.toml``)."""

    weights: Mapping[str, float]
    acknowledge: Lateness
    on_site: Lateness
    resolve: Lateness
    approved_extension: float
    reopened: float
    unfounded_dispute: float
    stars: Mapping[int, float]
    unrated: float | None  # None: an unrated case is not counted
    satisfied_min_stars: int
    rating_sources: frozenset[str] = RATING_SOURCES  # whose ratings count as satisfaction


@dataclass(frozen=True)
class Timeline:
    """What one department did on one whistle, and what became of the case."""

    overall_lead: bool
    dispatched_at: datetime
    acknowledge_due_at: datetime
    on_site_due_at: datetime
    resolve_due_at: datetime  # after approved extensions
    whistle_due_at: datetime  # the overall lead's resolve due time: the whistle's deadline
    acknowledged_at: datetime | None = None
    on_site_at: datetime | None = None  # the first arrival
    resolved_at: datetime | None = None  # its own resolution in force (None once reopened)
    disputed_at: datetime | None = None
    dispute: DisputeOutcome | None = None
    cancelled_at: datetime | None = None
    whistle_resolved_at: datetime | None = None  # the overall lead's resolution in force
    approved_extensions: int = 0
    reopened: int = 0
    rating: int | None = None  # the stars that closed the case
    rating_source: str | None = None  # who gave them (reporter, resident, callback, street …)
    case_verified: bool = False  # verified (核查) as resolved by the departments
    case_resolved_at: datetime | None = None  # when the departments resolved the case
    settled: bool = False  # nothing can change the score any more
    chases: int = 0  # supervision:chased events (催办), one per late obligation and due time
    escalations: int = 0  # supervision:district and :city events (督办)

    @property
    def responded_at(self) -> datetime | None:
        """The first answer to the dispatch: acknowledged, on site or disputed."""
        times = [t for t in (self.acknowledged_at, self.on_site_at, self.disputed_at) if t]
        return min(times) if times else None

    @property
    def carries_satisfaction(self) -> bool:
        """The overall lead whose resolution is in force carries the case's rating."""
        return self.overall_lead and self.resolved_at is not None and self.cancelled_at is None

    def counted_rating(self, rules: Rules) -> int | None:
        """The rating, when it came from a source that counts as satisfaction."""
        counted = self.rating_source is None or self.rating_source in rules.rating_sources
        return self.rating if counted else None

    def stop(self, as_of: datetime) -> datetime:
        """When unmet obligations stop running late: cancelled, disputed, resolved or now."""
        ends = (self.cancelled_at, self.disputed_at, self.whistle_resolved_at, as_of)
        return min(t for t in ends if t is not None)


@dataclass(frozen=True)
class Deduction:
    """Points taken off one dimension, and why."""

    code: str
    reason: str
    points: float


@dataclass(frozen=True)
class Dimension:
    """One dimension: its points (None when not counted), weight and deductions."""

    name: str
    weight: float
    points: float | None
    deductions: tuple[Deduction, ...] = ()
    note: str = ""

    @property
    def counted(self) -> bool:
        """Whether the dimension enters the weighted mean."""
        return self.points is not None


@dataclass(frozen=True)
class Score:
    """A whistle score (0–100) with its dimensions."""

    total: float
    dimensions: tuple[Dimension, ...]
    final: bool

    @property
    def deductions(self) -> tuple[Deduction, ...]:
        """Every deduction of every counted dimension."""
        return tuple(d for dim in self.dimensions if dim.counted for d in dim.deductions)


def _hours(late: timedelta) -> str:
    return f"{late.total_seconds() / 3600:g} h"


def _late(
    code: str, what: str, rule: Lateness, done: datetime | None, due: datetime, stop: datetime
) -> Deduction | None:
    late = (done or stop) - due
    if late <= timedelta(0):
        return None
    started = rule.started(late)
    state = "late" if done else "overdue, not yet done"
    capped = " (capped)" if started * rule.points > rule.cap else ""
    reason = (
        f"{what} {_hours(late)} {state}: {started} started × {_hours(rule.unit)} "
        f"× {rule.points:g} points{capped}"
    )
    return Deduction(code, reason, rule.deduct(late))


def _dimension(name: str, rules: Rules, found: list[Deduction | None]) -> Dimension:
    items = tuple(d for d in found if d is not None and d.points > 0)
    points = max(0.0, 100.0 - sum(d.points for d in items))
    return Dimension(name, rules.weights[name], points, items)


def acknowledge(t: Timeline, rules: Rules, as_of: datetime) -> Dimension:
    """按时签收: the first answer (acknowledge, on site or dispute) by the acknowledge due time."""
    found = _late(
        "acknowledge_late",
        "acknowledged",
        rules.acknowledge,
        t.responded_at,
        t.acknowledge_due_at,
        t.stop(as_of),
    )
    return _dimension("acknowledge", rules, [found])


def handling(t: Timeline, rules: Rules, as_of: datetime) -> Dimension:
    """及时响应办理: on site and resolved in time, extensions, reopenings, disputes."""
    if t.dispute is DisputeOutcome.UPHELD:
        note = "dispute upheld (re-routed away): handling not scored"
        return Dimension("handling", rules.weights["handling"], None, note=note)
    stop = t.stop(as_of)
    found = [_late("on_site_late", "on site", rules.on_site, t.on_site_at, t.on_site_due_at, stop)]
    if t.resolved_at is not None or t.overall_lead:
        found.append(
            _late("resolve_late", "resolved", rules.resolve, t.resolved_at, t.resolve_due_at, stop)
        )
    if t.approved_extensions:
        n = t.approved_extensions
        found.append(
            Deduction(
                "extension_approved",
                f"{n} approved extension(s) × {rules.approved_extension:g} points",
                n * rules.approved_extension,
            )
        )
    if t.reopened:
        found.append(
            Deduction(
                "reopened",
                f"resolution reopened by the street {t.reopened} time(s) × {rules.reopened:g}",
                t.reopened * rules.reopened,
            )
        )
    if t.dispute is DisputeOutcome.NOT_UPHELD:
        found.append(
            Deduction(
                "unfounded_dispute",
                "dispute not upheld (re-dispatched to the department)",
                rules.unfounded_dispute,
            )
        )
    return _dimension("handling", rules, found)


def satisfaction(t: Timeline, rules: Rules) -> Dimension:
    """满意度: the case's stars, carried by the overall lead whose resolution is in force."""
    weight = rules.weights["satisfaction"]
    if not t.overall_lead:
        return Dimension("satisfaction", weight, None, note="carried by the overall lead")
    if not t.carries_satisfaction:
        note = "the case is not resolved by this department (yet)"
        return Dimension("satisfaction", weight, None, note=note)
    if t.rating is not None and t.counted_rating(rules) is None:
        note = f"rated {t.rating} stars by the {t.rating_source} itself: recorded, not counted"
        return Dimension("satisfaction", weight, None, note=note)
    if t.rating is None:
        if rules.unrated is None:
            return Dimension("satisfaction", weight, None, note="not rated (not counted)")
        taken = Deduction("unrated", "not rated (neutral points)", 100.0 - rules.unrated)
        return _dimension("satisfaction", rules, [taken])
    label = STAR_LABELS.get(t.rating, "")
    points = rules.stars[t.rating]
    taken = Deduction("stars", f"rated {t.rating} stars ({label})", 100.0 - points)
    return _dimension("satisfaction", rules, [taken])


def score(t: Timeline, *, rules: Rules, as_of: datetime) -> Score:
    """The weighted score of one department on one whistle, as of ``as_of``."""
    dims = (acknowledge(t, rules, as_of), handling(t, rules, as_of), satisfaction(t, rules))
    counted = [d for d in dims if d.points is not None and d.weight > 0]
    weight = sum(d.weight for d in counted)
    total = sum(d.weight * (d.points or 0.0) for d in counted) / weight if weight else 0.0
    return Score(total=total, dimensions=dims, final=t.settled)


# --- rules as data ------------------------------------------------------------------------


def _number(table: Mapping[str, Any], key: str, where: str, *, high: float | None = None) -> float:
    value = table.get(key)
    if isinstance(value, bool) or not isinstance(value, int | float) or value < 0:
        raise ValueError(f"{where}.{key}: expected a number ≥ 0, got {value!r}")
    if high is not None and value > high:
        raise ValueError(f"{where}.{key}: at most {high:g}, got {value!r}")
    return float(value)


def _table(data: Mapping[str, Any], key: str) -> Mapping[str, Any]:
    value = data.get(key)
    if not isinstance(value, dict):
        raise ValueError(f"[{key}] is missing")
    return value


def _lateness(data: Mapping[str, Any], key: str) -> Lateness:
    table = _table(data, key)
    unit = _HOURS.fullmatch(str(table.get("unit", "")))
    if unit is None or float(unit["n"]) <= 0:
        raise ValueError(
            f'{key}.unit: expected hours like "1h" or "24h", got {table.get("unit")!r}'
        )
    return Lateness(
        points=_number(table, "points", key),
        unit=timedelta(hours=float(unit["n"])),
        cap=_number(table, "cap", key, high=100),
    )


def parse_rules(data: Mapping[str, Any]) -> Rules:
    """Rules from the parsed TOML document; ValueError names the offending key."""
    weights = _table(data, "weights")
    handling_table = _table(data, "handling")
    sat = _table(data, "satisfaction")
    stars = sat.get("stars")
    if not isinstance(stars, dict) or sorted(stars) != ["1", "2", "3", "4", "5"]:
        raise ValueError("satisfaction.stars: give points for each of 1, 2, 3, 4 and 5 stars")
    unrated = sat.get("unrated")
    min_stars = sat.get("satisfied_min_stars")
    sources = sat.get("sources", sorted(RATING_SOURCES))
    if not isinstance(sources, list) or not all(isinstance(x, str) and x for x in sources):
        raise ValueError(f"satisfaction.sources: a list of rating sources, got {sources!r}")
    if not isinstance(min_stars, int) or isinstance(min_stars, bool) or not 1 <= min_stars <= 5:
        raise ValueError(f"satisfaction.satisfied_min_stars: 1 to 5, got {min_stars!r}")
    parsed_weights = {k: _number(weights, k, "weights") for k in DIMENSIONS}
    if not any(parsed_weights.values()):
        raise ValueError("weights: at least one weight must be positive")
    return Rules(
        weights=MappingProxyType(parsed_weights),
        acknowledge=_lateness(data, "acknowledge"),
        on_site=_lateness(data, "on_site"),
        resolve=_lateness(data, "resolve"),
        approved_extension=_number(handling_table, "approved_extension", "handling"),
        reopened=_number(handling_table, "reopened", "handling"),
        unfounded_dispute=_number(handling_table, "unfounded_dispute", "handling"),
        stars=MappingProxyType(
            {int(k): _number(stars, k, "satisfaction.stars", high=100) for k in stars}
        ),
        unrated=None if unrated == "exclude" else _number(sat, "unrated", "satisfaction", high=100),
        satisfied_min_stars=min_stars,
        rating_sources=frozenset(sources),
    )


def read_rules(path: Path) -> Rules:
    """Rules from a TOML file; ValueError names the file and the offending key."""
    try:
        return parse_rules(tomllib.loads(path.read_text(encoding="utf-8")))
    except (ValueError, tomllib.TOMLDecodeError) as exc:
        raise ValueError(f"{path}: {exc}") from exc


# --- periods and rates --------------------------------------------------------------------

_PERIOD = re.compile(r"(?P<year>\d{4})(?:-(?P<month>\d{2}))?")


@dataclass(frozen=True)
class Period:
    """A calendar month or year in Beijing time: ``start`` ≤ t < ``end``."""

    label: str
    start: datetime
    end: datetime

    @classmethod
    def parse(cls, text: str) -> Period:
        """``2026-11`` (a month) or ``2026`` (a year); ValueError otherwise."""
        match = _PERIOD.fullmatch(text.strip())
        month = int(match["month"]) if match and match["month"] else None
        if match is None or (month is not None and not 1 <= month <= 12):
            raise ValueError(f"period {text!r}: expected YYYY-MM or YYYY")
        year = int(match["year"])
        if month is None:
            return cls(
                f"{year:04d}",
                datetime(year, 1, 1, tzinfo=TZ),
                datetime(year + 1, 1, 1, tzinfo=TZ),
            )
        after = datetime(year + month // 12, month % 12 + 1, 1, tzinfo=TZ)
        return cls(f"{year:04d}-{month:02d}", datetime(year, month, 1, tzinfo=TZ), after)

    @classmethod
    def month_of(cls, moment: datetime) -> Period:
        """The Beijing calendar month holding ``moment`` (the scoreboard's default period)."""
        local = to_local(moment)  # (strftime's %Y gives "493", not "0493")
        return cls.parse(f"{local.year:04d}-{local.month:02d}")

    def __contains__(self, moment: object) -> bool:
        return isinstance(moment, datetime) and self.start <= moment < self.end


def in_rates(t: Timeline) -> bool:
    """A ticket for the rates: not withdrawn (cancelled) and not wrongly dispatched (upheld)."""
    return t.cancelled_at is None and t.dispute is not DisputeOutcome.UPHELD


def response_due(t: Timeline, as_of: datetime) -> bool:
    """The acknowledgement is owed by ``as_of`` (its due time passed) or already given."""
    return t.responded_at is not None or t.acknowledge_due_at <= as_of


def resolution_due(t: Timeline, as_of: datetime) -> bool:
    """The resolution is owed by ``as_of`` (the whistle's due time passed) or already done."""
    return resolved(t) or t.whistle_due_at <= as_of


def responded_on_time(t: Timeline) -> bool:
    """Answered (acknowledged, on site or disputed) by the acknowledge due time."""
    return t.responded_at is not None and t.responded_at <= t.acknowledge_due_at


def resolved(t: Timeline) -> bool:
    """The case was verified as resolved by the departments while this ticket was live."""
    return in_rates(t) and t.disputed_at is None and t.case_verified


def closed_on_time(t: Timeline) -> bool:
    """Resolved, and the departments' resolution came by the whistle's due time."""
    done = t.case_resolved_at
    return resolved(t) and done is not None and done <= t.whistle_due_at


def _rate(part: int, whole: int) -> float | None:
    return round(part / whole, 4) if whole else None


@dataclass
class Tally:
    """Counts of one scoreboard row; the rates are ratios of them."""

    scored: int = 0
    provisional: int = 0
    score_sum: float = 0.0
    assigned: int = 0
    response_due: int = 0
    responded_on_time: int = 0
    resolution_due: int = 0
    resolved: int = 0
    rated: int = 0
    satisfied: int = 0
    due: int = 0
    closed: int = 0
    closed_on_time: int = 0
    chases: int = 0
    escalations: int = 0

    def __post_init__(self) -> None:
        # not a field: the fields are what a scoreboard row shows and adds up
        self.final_score_sum = 0.0

    def add(self, t: Timeline, s: Score, *, period: Period, as_of: datetime, rules: Rules) -> None:
        """Count one department on one whistle into the row."""
        done = resolved(t)
        if t.dispatched_at in period:
            self.scored += 1
            self.provisional += not s.final
            self.score_sum += s.total
            self.final_score_sum += s.total if s.final else 0.0
            self.chases += t.chases
            self.escalations += t.escalations
            if in_rates(t):
                self.assigned += 1
                if response_due(t, as_of):
                    self.response_due += 1
                    self.responded_on_time += responded_on_time(t)
                if resolution_due(t, as_of):
                    self.resolution_due += 1
                    self.resolved += done
                rating = t.counted_rating(rules)
                if t.carries_satisfaction and rating is not None:
                    self.rated += 1
                    self.satisfied += rating >= rules.satisfied_min_stars
        if in_rates(t) and t.whistle_due_at in period and (t.whistle_due_at <= as_of or done):
            self.due += 1
            self.closed += done
            self.closed_on_time += closed_on_time(t)

    @property
    def average_score(self) -> float | None:
        """Mean whistle score, final and provisional together (2 decimals)."""
        return round(self.score_sum / self.scored, 2) if self.scored else None

    @property
    def final(self) -> int:
        """Whistle scores that are final (the case is settled)."""
        return self.scored - self.provisional

    @property
    def final_average_score(self) -> float | None:
        """Mean of the final whistle scores (2 decimals): what the scoreboard ranks by."""
        return round(self.final_score_sum / self.final, 2) if self.final else None

    @property
    def provisional_average_score(self) -> float | None:
        """Mean of the provisional whistle scores (2 decimals): shown apart, not ranked."""
        if not self.provisional:
            return None
        return round((self.score_sum - self.final_score_sum) / self.provisional, 2)

    @property
    def response_rate(self) -> float | None:
        """响应率 = responded on time / acknowledgements due (or given) by ``as_of``."""
        return _rate(self.responded_on_time, self.response_due)

    @property
    def resolution_rate(self) -> float | None:
        """解决率 = resolved / resolutions due (or done) by ``as_of``."""
        return _rate(self.resolved, self.resolution_due)

    @property
    def satisfaction_rate(self) -> float | None:
        """满意率 = satisfied / rated."""
        return _rate(self.satisfied, self.rated)

    @property
    def closure_rate(self) -> float | None:
        """结案率 = closed / due."""
        return _rate(self.closed, self.due)

    @property
    def on_time_closure_rate(self) -> float | None:
        """按期结案率 = closed on time / due."""
        return _rate(self.closed_on_time, self.due)
