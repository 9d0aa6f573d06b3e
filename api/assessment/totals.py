"""Scoreboard totals across groupings: every assignment falls in exactly one row of each
grouping (department, lead street, its district), so each grouping's rows add up to its
``total`` and the three totals are the same; the total's ``scored`` is the number of
assignments dispatched in the period. ``total_disagreements`` checks boards as the API
serves them (pure); ``scoreboard_disagreements`` computes them from the database."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import asdict, fields
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from api.assessment.scoring import Period, Rules, Tally
from api.assessment.service import GroupBy, scoreboard
from api.auth.roles import Actor, Role
from api.whistles.models import Assignment

COUNTS = tuple(f.name for f in fields(Tally) if f.name != "score_sum")
"""The integer columns of a scoreboard row: they add up across rows."""

Board = tuple[Iterable[Mapping[str, Any]], Mapping[str, Any]]
"""A scoreboard's rows and its total row (``average_score`` and the counts of ``COUNTS``)."""


def total_disagreements(boards: Mapping[str, Board]) -> list[str]:
    """What does not add up in ``boards`` (one per grouping): each grouping's rows against
    its total, the totals against each other; an empty list when all agree.

    The average score is rounded to 2 decimals in each row, so the rows' weighted sum may
    differ from the total's by 0.005 per row and scored whistle.

    >>> row = {"code": "a", "average_score": 90.0, **{c: 1 for c in COUNTS}}
    >>> total = {**row, "code": "total"}
    >>> total_disagreements({"department": ([row], total), "district": ([row], total)})
    []
    >>> total_disagreements({"department": ([row, row], total)})[0]
    'department: rows add up to 2 scored, the total says 1'
    """
    found: list[str] = []
    totals: dict[str, Mapping[str, Any]] = {}
    for by, (rows, total) in boards.items():
        rows = list(rows)
        totals[by] = total
        for name in COUNTS:
            summed = sum(int(r[name]) for r in rows)
            if summed != total[name]:
                found.append(f"{by}: rows add up to {summed} {name}, the total says {total[name]}")
        weighted = sum((r["average_score"] or 0.0) * r["scored"] for r in rows)
        expected = (total["average_score"] or 0.0) * total["scored"]
        slack = 0.005 * (len(rows) + 1) * max(1, total["scored"])
        if abs(weighted - expected) > slack:
            found.append(
                f"{by}: rows' scores add up to {weighted:.2f}, the total's to {expected:.2f}"
            )
    first, *others = totals or {"": {}}
    for by in others:
        for name in COUNTS:
            if totals[by][name] != totals[first][name]:
                found.append(
                    f"total {name}: {totals[first][name]} by {first}, {totals[by][name]} by {by}"
                )
    return found


def scoreboard_disagreements(
    *, session: Session, period: Period, as_of: datetime, rules: Rules
) -> list[str]:
    """The city-wide scoreboards of ``period`` by department, street and district, checked
    with ``total_disagreements`` and against the assignments dispatched in the period."""
    city = Actor(id=0, role=Role.ADMIN, jurisdiction=None, name="totals")
    boards: dict[str, Board] = {}
    for by in GroupBy:
        rows, total = scoreboard(
            session=session, actor=city, period=period, by=by, rules=rules, as_of=as_of
        )
        boards[str(by)] = (
            [_row(t) for t in rows.values()],
            _row(total),
        )
    found = total_disagreements(boards)
    dispatched = session.scalar(
        select(func.count())
        .select_from(Assignment)
        .where(Assignment.dispatched_at >= period.start, Assignment.dispatched_at < period.end)
    )
    scored = boards[str(GroupBy.DEPARTMENT)][1]["scored"]
    if scored != dispatched:
        found.append(
            f"total scored {scored}, assignments dispatched in {period.label} {dispatched}"
        )
    return found


def _row(tally: Tally) -> dict[str, Any]:
    return {**asdict(tally), "average_score": tally.average_score}
