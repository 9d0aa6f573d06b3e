"""Case and assignment states rebuilt from the append-only history, against the tables.

``case_events`` is the record of every state change (who, when, from → to); ``cases`` and
``assignments`` hold the current state and the time it was reached. The two are written in
the same transaction, so they must agree: ``disagreements`` replays the history and lists
every place where they do not, and where the history itself does not hold together (an event
whose ``from`` is not the state the previous event left, a move the workflow table does not
allow). The replay (``rebuild``) and the comparison (``compare``) are pure; only
``disagreements`` reads the database.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from api.cases.models import Case, CaseEvent
from api.cases.service import ASSIGNMENT_TIMESTAMP, TIMESTAMP
from api.cases.workflow import (
    ASSIGNMENT_TRANSITIONS,
    CASE_TRANSITIONS,
    AssignmentStatus,
    CaseStatus,
)
from api.whistles.models import Assignment

WHISTLE_KINDS = frozenset({"case:whistled", "whistle:escalated"})
"""Events that summon departments: each names its whistle and the departments on it."""


@dataclass(frozen=True)
class Event:
    """What the replay reads of one case event."""

    id: int
    case_id: int
    at: datetime
    kind: str
    from_status: str | None = None
    to_status: str | None = None
    assignment_id: int | None = None
    whistle_id: int | None = None
    departments: tuple[str, ...] = ()  # the departments a whistle summoned


@dataclass(frozen=True)
class State:
    """A status and the time it was reached."""

    status: str
    since: datetime | None


@dataclass(frozen=True)
class CaseRow:
    """What the comparison reads of a ``cases`` row (``since``: the current state's column)."""

    id: int
    status: str
    since: datetime | None
    stamped: bool = True  # the current state has a timestamp column (``new`` has none)


@dataclass(frozen=True)
class AssignmentRow:
    """What the comparison reads of an ``assignments`` row."""

    id: int
    case_id: int
    whistle_id: int
    department_code: str
    status: str
    since: datetime | None
    stamped: bool = True


@dataclass(frozen=True)
class Disagreement:
    """One place where the history and the tables (or the history and itself) differ."""

    subject: Literal["case", "assignment", "whistle"]
    id: int
    case_id: int
    what: str  # status | since | missing | unrecorded | chain | illegal | unsummoned
    events: str | None  # what the history says
    table: str | None  # what the table says

    def __str__(self) -> str:
        where = f"{self.subject} {self.id}" + (
            f" (case {self.case_id})" if self.subject != "case" else ""
        )
        return f"{where}: {self.what}: events say {self.events}, table says {self.table}"


@dataclass
class Rebuilt:
    """The states the history leads to, and where it broke its own rules."""

    cases: dict[int, State] = field(default_factory=dict)
    assignments: dict[int, State] = field(default_factory=dict)
    assignment_case: dict[int, int] = field(default_factory=dict)
    summoned: Counter[tuple[int, str]] = field(default_factory=Counter)  # (whistle, department)
    whistled_at: dict[int, datetime] = field(default_factory=dict)  # by whistle
    whistle_case: dict[int, int] = field(default_factory=dict)
    broken: list[Disagreement] = field(default_factory=list)


def rebuild(events: Iterable[Event]) -> Rebuilt:
    """Replay ``events`` in id order: the state each case and assignment ends in.

    An assignment starts ``dispatched`` when its whistle is blown (the whistle event names the
    department); each ``assignment:*`` event then moves it. A case starts with ``case:new``.

    >>> from datetime import UTC, datetime
    >>> t = datetime(2026, 3, 2, tzinfo=UTC)
    >>> out = rebuild([
    ...     Event(1, 7, t, "case:new", None, "new"),
    ...     Event(2, 7, t, "case:whistled", "new", "whistled", whistle_id=3,
    ...           departments=("110102-cgzf",)),
    ...     Event(3, 7, t, "assignment:acknowledged", "dispatched", "acknowledged",
    ...           assignment_id=5),
    ... ])
    >>> out.cases[7].status, out.assignments[5].status, out.summoned[(3, "110102-cgzf")]
    ('whistled', 'acknowledged', 1)
    >>> out.broken
    []
    """
    out = Rebuilt()
    for e in sorted(events, key=lambda e: e.id):
        if e.kind in WHISTLE_KINDS and e.whistle_id is not None:
            out.summoned.update((e.whistle_id, code) for code in e.departments)
            out.whistled_at[e.whistle_id] = e.at
            out.whistle_case[e.whistle_id] = e.case_id
        if e.kind.startswith("case:") and e.to_status is not None:
            _move_case(out, e)
        elif e.kind.startswith("assignment:") and e.assignment_id is not None:
            _move_assignment(out, e)
    return out


def _move_case(out: Rebuilt, e: Event) -> None:
    before = out.cases.get(e.case_id)
    was = before.status if before else None
    if e.from_status != was:
        out.broken.append(
            Disagreement("case", e.case_id, e.case_id, "chain", f"{was} → {e.kind}", e.from_status)
        )
    elif was is not None and not _allowed(CASE_TRANSITIONS, was, e.to_status):
        out.broken.append(
            Disagreement("case", e.case_id, e.case_id, "illegal", f"{was} → {e.to_status}", None)
        )
    elif was is None and e.to_status != CaseStatus.NEW:
        out.broken.append(
            Disagreement("case", e.case_id, e.case_id, "illegal", f"starts {e.to_status}", None)
        )
    out.cases[e.case_id] = State(str(e.to_status), e.at)


def _move_assignment(out: Rebuilt, e: Event) -> None:
    aid = int(e.assignment_id or 0)
    was = out.assignments[aid].status if aid in out.assignments else AssignmentStatus.DISPATCHED
    if e.from_status != was:
        out.broken.append(
            Disagreement("assignment", aid, e.case_id, "chain", f"{was} → {e.kind}", e.from_status)
        )
    elif not _allowed(ASSIGNMENT_TRANSITIONS, was, e.to_status):
        out.broken.append(
            Disagreement("assignment", aid, e.case_id, "illegal", f"{was} → {e.to_status}", None)
        )
    out.assignments[aid] = State(str(e.to_status), e.at)
    out.assignment_case[aid] = e.case_id


def _allowed(table: Mapping[Any, frozenset[Any]], old: str, new: str | None) -> bool:
    """Whether the workflow ``table`` allows ``old`` → ``new`` (its keys are StrEnums, which
    compare and hash as their strings)."""
    return new is not None and new in table.get(old, frozenset())


def compare(
    rebuilt: Rebuilt, cases: Iterable[CaseRow], assignments: Iterable[AssignmentRow]
) -> list[Disagreement]:
    """Every difference between the rebuilt states and the table rows, after the history's
    own breaks; an empty list when they agree."""
    found = list(rebuilt.broken)
    seen: set[int] = set()
    for row in cases:
        seen.add(row.id)
        state = rebuilt.cases.get(row.id)
        if state is None:
            found.append(Disagreement("case", row.id, row.id, "unrecorded", None, row.status))
            continue
        found.extend(_differences("case", row.id, row.id, state, row))
    for case_id in sorted(set(rebuilt.cases) - seen):
        found.append(
            Disagreement("case", case_id, case_id, "missing", rebuilt.cases[case_id].status, None)
        )
    found.extend(_compare_assignments(rebuilt, assignments))
    return found


def _compare_assignments(
    rebuilt: Rebuilt, assignments: Iterable[AssignmentRow]
) -> list[Disagreement]:
    found: list[Disagreement] = []
    in_table: Counter[tuple[int, str]] = Counter()
    seen: set[int] = set()
    for row in assignments:
        seen.add(row.id)
        in_table[(row.whistle_id, row.department_code)] += 1
        # an assignment no event moved is where its whistle left it: dispatched
        dispatched = State(AssignmentStatus.DISPATCHED, rebuilt.whistled_at.get(row.whistle_id))
        state = rebuilt.assignments.get(row.id, dispatched)
        found.extend(_differences("assignment", row.id, row.case_id, state, row))
    for aid in sorted(set(rebuilt.assignments) - seen):
        state = rebuilt.assignments[aid]
        found.append(
            Disagreement(
                "assignment", aid, rebuilt.assignment_case[aid], "missing", state.status, None
            )
        )
    for whistle, code in sorted(set(in_table) | set(rebuilt.summoned)):
        told, held = rebuilt.summoned[(whistle, code)], in_table[(whistle, code)]
        if told != held:
            found.append(
                Disagreement(
                    "whistle",
                    whistle,
                    rebuilt.whistle_case.get(whistle, 0),
                    "unsummoned" if held > told else "missing",
                    f"{code} summoned {told} time(s)",
                    f"{held} assignment(s) of {code}",
                )
            )
    return found


def _differences(
    subject: Literal["case", "assignment"],
    ident: int,
    case_id: int,
    state: State,
    row: CaseRow | AssignmentRow,
) -> list[Disagreement]:
    status, since = row.status, row.since
    if state.status != status:
        return [Disagreement(subject, ident, case_id, "status", state.status, status)]
    if row.stamped and since != state.since:
        return [
            Disagreement(
                subject,
                ident,
                case_id,
                "since",
                f"{status} at {_iso(state.since)}",
                f"{status} at {_iso(since)}",
            )
        ]
    return []


def disagreements(*, session: Session, case_ids: Sequence[int] | None = None) -> list[Disagreement]:
    """Replay the history of every case (or of ``case_ids``) and compare it with the tables."""
    moved = CaseEvent.data["assignment_id"].as_integer()
    whistle = CaseEvent.data["whistle_id"].as_integer()
    stmt = (
        select(
            CaseEvent.id,
            CaseEvent.case_id,
            CaseEvent.at,
            CaseEvent.kind,
            CaseEvent.from_status,
            CaseEvent.to_status,
            moved,
            whistle,
            CaseEvent.data["departments"],
        )
        .where(
            or_(
                CaseEvent.kind.startswith("case:"),
                CaseEvent.kind.startswith("assignment:"),
                CaseEvent.kind == "whistle:escalated",
            )
        )
        .order_by(CaseEvent.id)
    )
    cases = select(Case.id, Case.status, *(getattr(Case, c) for c in TIMESTAMP.values()))
    assignments = select(
        Assignment.id,
        Assignment.case_id,
        Assignment.whistle_id,
        Assignment.department_code,
        Assignment.status,
        Assignment.dispatched_at,
        *(getattr(Assignment, c) for c in ASSIGNMENT_TIMESTAMP.values()),
    )
    if case_ids is not None:
        stmt = stmt.where(CaseEvent.case_id.in_(case_ids))
        cases = cases.where(Case.id.in_(case_ids))
        assignments = assignments.where(Assignment.case_id.in_(case_ids))
    events = [
        Event(
            id=r[0],
            case_id=r[1],
            at=r[2],
            kind=r[3],
            from_status=r[4],
            to_status=r[5],
            assignment_id=r[6],
            whistle_id=r[7] if r[3] in WHISTLE_KINDS else None,
            departments=tuple(d["code"] for d in r[8] or ()) if r[3] in WHISTLE_KINDS else (),
        )
        for r in session.execute(stmt)
    ]
    case_columns = list(TIMESTAMP)
    case_rows = [
        CaseRow(r.id, r.status, *_since(r.status, case_columns, r[2:]))
        for r in session.execute(cases)
    ]
    assignment_columns = [AssignmentStatus.DISPATCHED, *ASSIGNMENT_TIMESTAMP]
    assignment_rows = [
        AssignmentRow(
            r.id,
            r.case_id,
            r.whistle_id,
            r.department_code,
            r.status,
            *_since(r.status, assignment_columns, r[5:]),
        )
        for r in session.execute(assignments)
    ]
    return compare(rebuild(events), case_rows, assignment_rows)


def _since(
    status: str, columns: Sequence[str], values: Sequence[datetime | None]
) -> tuple[datetime | None, bool]:
    """The value of the timestamp column of ``status``, and whether the state has one."""
    for name, value in zip(columns, values, strict=True):
        if name == status:
            return value, True
    return None, False


def _iso(moment: datetime | None) -> str:
    return moment.isoformat() if moment is not None else "none"
