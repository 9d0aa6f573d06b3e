"""A case and its assignments as they stood at ``as_of``, replayed from the history (pure).

The ``cases`` and ``assignments`` rows hold the state of now; a score "as of" an earlier time
must not see what was done after it (an acknowledgement at D+7 h is not late at D+1 h). The
append-only history (``case_events``) has every act with its time, so the state at ``as_of``
is the replay of the events up to it. Due times come from the rows, except that an extension
approved after ``as_of`` has not moved the resolve due time yet (``due_as_of``).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

CLOSING_SOURCES = {
    "grid_worker": "reporter",
    "chief": "reporter",
    "hotline": "reporter",
}
"""Sources of closing ratings in histories written before the source was recorded."""


@dataclass(frozen=True)
class Act:
    """What the snapshot reads of one case event."""

    at: datetime
    kind: str
    from_status: str | None = None
    to_status: str | None = None
    actor_role: str = "system"
    data: Mapping[str, Any] = field(default_factory=dict)

    @property
    def assignment_id(self) -> int | None:
        """The assignment an ``assignment:*`` or ``supervision:*`` event is about."""
        value = self.data.get("assignment_id")
        return int(value) if isinstance(value, int) else None


@dataclass
class AssignmentAsOf:
    """One department's assignment at ``as_of``."""

    status: str = "dispatched"
    acknowledged_at: datetime | None = None
    first_on_site_at: datetime | None = None
    resolved_at: datetime | None = None  # its resolution in force (None once reopened)
    disputed_at: datetime | None = None
    cancelled_at: datetime | None = None
    reopened: int = 0
    chases: int = 0
    escalations: int = 0


@dataclass
class CaseAsOf:
    """A case at ``as_of``: its status, the departments' resolution and its rating."""

    status: str = "new"
    resolved_at: datetime | None = None
    by_departments: bool = False  # resolved from ``whistled``: by the lead department
    verified: bool = False
    rating: int | None = None  # the stars that closed the case
    rating_source: str | None = None
    assignments: dict[int, AssignmentAsOf] = field(default_factory=dict)


def rating_source(act: Act) -> str:
    """Who gave the rating that closed the case: ``data.source``, else guessed from the role.

    >>> rating_source(Act(datetime(2026, 1, 1), "case:closed", data={"source": "callback"}))
    'callback'
    >>> rating_source(Act(datetime(2026, 1, 1), "case:closed", actor_role="street"))
    'street'
    """
    source = act.data.get("source")
    if isinstance(source, str) and source:
        return source
    return CLOSING_SOURCES.get(act.actor_role, act.actor_role)


def replay(
    acts: Iterable[Act],
    *,
    as_of: datetime,
    chase: str,
    escalations: frozenset[str],
) -> CaseAsOf:
    """The case at ``as_of`` from its events in order (later ones are skipped).

    ``chase`` and ``escalations`` are the event kinds counted as 催办 and 督办.
    """
    case = CaseAsOf()
    for act in acts:
        if act.at > as_of:
            continue
        aid = act.assignment_id
        if act.kind.startswith("case:") and act.to_status:
            _move_case(case, act)
        elif act.kind.startswith("assignment:") and aid is not None and act.to_status:
            _move_assignment(case.assignments.setdefault(aid, AssignmentAsOf()), act)
        elif aid is not None and act.kind == chase:
            case.assignments.setdefault(aid, AssignmentAsOf()).chases += 1
        elif aid is not None and act.kind in escalations:
            case.assignments.setdefault(aid, AssignmentAsOf()).escalations += 1
    return case


def _move_case(case: CaseAsOf, act: Act) -> None:
    case.status = str(act.to_status)
    match case.status:
        case "resolved":
            case.resolved_at = act.at
            case.by_departments = act.from_status == "whistled"
            case.verified = False
        case "verified":
            case.verified = True
        case "closed":
            stars = act.data.get("stars")
            case.rating = stars if isinstance(stars, int) else None
            case.rating_source = rating_source(act)
        case "whistled" | "new" | "disputed":  # reopened, re-routed or disputed
            case.resolved_at = None
            case.by_departments = False
            case.verified = False


def _move_assignment(a: AssignmentAsOf, act: Act) -> None:
    a.status = str(act.to_status)
    match a.status:
        case "acknowledged":
            a.acknowledged_at = a.acknowledged_at or act.at
        case "on_site":
            if act.from_status == "resolved":
                a.reopened += 1
                a.resolved_at = None
            else:
                a.first_on_site_at = a.first_on_site_at or act.at
        case "resolved":
            a.resolved_at = act.at
        case "disputed":
            a.disputed_at = a.disputed_at or act.at
        case "cancelled":
            a.cancelled_at = act.at
            a.resolved_at = None


@dataclass(frozen=True)
class Approval:
    """An approved extension: when it was decided and the due times it moved between."""

    decided_at: datetime
    old_due_at: datetime
    new_due_at: datetime


def due_as_of(current: datetime, approvals: Sequence[Approval], as_of: datetime) -> datetime:
    """The resolve due time at ``as_of``: the current one (``current``), unless extensions were
    approved after ``as_of``: then the due time the first of them moved.

    >>> d = lambda day: datetime(2026, 11, day)
    >>> moves = [Approval(d(5), d(10), d(13)), Approval(d(12), d(13), d(16))]
    >>> [due_as_of(d(16), moves, d(x)).day for x in (4, 5, 11, 12)]
    [10, 13, 13, 16]
    >>> due_as_of(d(10), [], d(1)).day
    10
    """
    later = sorted((a for a in approvals if a.decided_at > as_of), key=lambda a: a.decided_at)
    return later[0].old_due_at if later else current
