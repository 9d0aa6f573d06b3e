"""Routes: whistle scores, scoreboards, should-have-whistled (all need a token)."""

from __future__ import annotations

from dataclasses import fields
from datetime import datetime, timedelta
from typing import Annotated

from fastapi import APIRouter, Query

from api.assessment import service
from api.assessment.schemas import (
    DeductionPublic,
    DepartmentScorePublic,
    DimensionPublic,
    LocalCellPublic,
    RowScorePublic,
    RowScoresPublic,
    ScoreboardPublic,
    ScoreboardRowPublic,
    ShouldHaveWhistledPublic,
    WhistleScoresPublic,
)
from api.assessment.scoring import Period, Tally
from api.assessment.service import GroupBy
from api.auth.deps import ActorDep
from api.cases.service import utcnow
from api.deps import PathId, QueryInstant, SessionDep, SettingsDep
from api.errors import InvalidInput

router = APIRouter(prefix="/api/assessment", tags=["assessment"])

AsOf = Annotated[
    QueryInstant,
    Query(description="the clock for unmet obligations and what is due (default: now)"),
]


Period_ = Annotated[
    str | None,
    Query(
        pattern=r"^[12][0-9]{3}(-(0[1-9]|1[0-2]))?$",
        description="YYYY-MM or YYYY (default: this month)",
    ),
]


def _as_of(value: datetime | None) -> datetime:
    return utcnow() if value is None else value  # without an offset, Beijing (QueryInstant)


def _period(value: str | None, at: datetime) -> Period:
    try:
        return Period.parse(value) if value is not None else Period.month_of(at)
    except ValueError as exc:
        raise InvalidInput(str(exc), field="period") from exc


def _department(item: service.Scored, names: dict[str, str]) -> DepartmentScorePublic:
    s = item.score
    return DepartmentScorePublic(
        assignment_id=item.assignment_id,
        department_code=item.department_code,
        department_name=names.get(item.department_code),
        district_code=item.district_code,
        role=item.role,
        overall_lead=item.overall_lead,
        status=item.status,
        score=round(s.total, 2),
        final=s.final,
        dimensions=[DimensionPublic.model_validate(d) for d in s.dimensions],
        deductions=[DeductionPublic.model_validate(d) for d in s.deductions],
    )


@router.get("/whistles/{whistle_id}", response_model=WhistleScoresPublic)
def whistle(
    whistle_id: PathId,
    session: SessionDep,
    settings: SettingsDep,
    actor: ActorDep,
    as_of: AsOf = None,
) -> WhistleScoresPublic:
    """Each department's score on a whistle with itemised deductions (一哨一考核)."""
    at = _as_of(as_of)
    found, items = service.whistle_scores(
        session=session,
        whistle_id=whistle_id,
        actor=actor,
        rules=service.rules_from(settings.data_dir),
        as_of=at,
    )
    names = service.names(
        session=session, by=GroupBy.DEPARTMENT, codes=[i.department_code for i in items]
    )
    return WhistleScoresPublic(
        whistle_id=found.id,
        case_id=found.case_id,
        lead_street_code=found.lead_street_code,
        sla_policy=found.sla_policy,
        blown_at=found.blown_at,
        as_of=at,
        departments=[_department(i, names) for i in items],
    )


def _row(code: str, name: str | None, tally: Tally, rank: int | None) -> ScoreboardRowPublic:
    counts = {f.name: getattr(tally, f.name) for f in fields(tally) if f.name != "score_sum"}
    rates = (
        "final",
        "final_average_score",
        "provisional_average_score",
        "average_score",
        "response_rate",
        "resolution_rate",
        "satisfaction_rate",
        "closure_rate",
        "on_time_closure_rate",
    )
    return ScoreboardRowPublic(
        code=code, name=name, rank=rank, **counts, **{r: getattr(tally, r) for r in rates}
    )


def ranks(rows: dict[str, Tally]) -> dict[str, int]:
    """Competition ranks (1, 2, 2, 4) by the final average score; unscored rows are left out.

    >>> from api.assessment.scoring import Tally
    >>> def row(final: float | None) -> Tally:
    ...     t = Tally(scored=1)
    ...     t.final_score_sum = final or 0.0
    ...     t.provisional = int(final is None)
    ...     return t
    >>> ranks({"a": row(90), "b": row(95), "c": row(90), "d": row(None)})
    {'b': 1, 'a': 2, 'c': 2}
    """
    averages = {code: t.final_average_score for code, t in rows.items()}
    scored = sorted(
        ((value, code) for code, value in averages.items() if value is not None),
        key=lambda x: (-x[0], x[1]),
    )
    out: dict[str, int] = {}
    for i, (value, code) in enumerate(scored):
        out[code] = i + 1 if i == 0 or value != scored[i - 1][0] else out[scored[i - 1][1]]
    return out


@router.get("/scoreboard", response_model=ScoreboardPublic)
def scoreboard(
    session: SessionDep,
    settings: SettingsDep,
    actor: ActorDep,
    period: Period_ = None,
    by: GroupBy = GroupBy.DEPARTMENT,
    as_of: AsOf = None,
) -> ScoreboardPublic:
    """Monthly or yearly scores and rates per department, street or district in your scope.

    Rows are ranked by their final scores only; provisional scores are counted apart."""
    at = _as_of(as_of)
    chosen = _period(period, at)
    rows, total = service.scoreboard(
        session=session,
        actor=actor,
        period=chosen,
        by=by,
        rules=service.rules_from(settings.data_dir),
        as_of=at,
    )
    names = service.names(session=session, by=by, codes=rows)
    ranked = ranks(rows)
    return ScoreboardPublic(
        period=chosen.label,
        start=chosen.start,
        end=chosen.end,
        by=str(by),
        as_of=at,
        rows=[_row(code, names.get(code), rows[code], ranked.get(code)) for code in sorted(rows)],
        total=_row("total", None, total, None),
    )


@router.get("/scores", response_model=RowScoresPublic)
def row_scores(
    session: SessionDep,
    settings: SettingsDep,
    actor: ActorDep,
    code: Annotated[
        str,
        Query(
            pattern=r"^[0-9]{6}(-[a-z]{1,32}|[0-9]{3})?$",
            description="the row's code: a department (110102-cgzf), street or district",
        ),
    ],
    period: Period_ = None,
    by: GroupBy = GroupBy.DEPARTMENT,
    as_of: AsOf = None,
) -> RowScoresPublic:
    """The whistle scores of one scoreboard row with their itemised deductions, lowest first."""
    at = _as_of(as_of)
    chosen = _period(period, at)
    items = service.row_scores(
        session=session,
        actor=actor,
        period=chosen,
        by=by,
        code=code,
        rules=service.rules_from(settings.data_dir),
        as_of=at,
    )
    names = service.names(
        session=session, by=GroupBy.DEPARTMENT, codes=[i.department_code for i in items]
    )
    return RowScoresPublic(
        period=chosen.label,
        by=str(by),
        code=code,
        as_of=at,
        scores=[
            RowScorePublic(
                **_department(i, names).model_dump(),
                whistle_id=i.whistle_id,
                case_id=i.case_id,
                dispatched_at=i.timeline.dispatched_at,
            )
            for i in items
        ],
    )


@router.get("/should-have-whistled", response_model=ShouldHaveWhistledPublic)
def should_have_whistled(
    session: SessionDep,
    actor: ActorDep,
    window_days: Annotated[int, Query(ge=1, le=3660)] = 90,
    min_local: Annotated[int, Query(ge=1, le=10_000)] = 3,
    as_of: AsOf = None,
) -> ShouldHaveWhistledPublic:
    """Grid cells where one category was closed locally at least ``min_local`` times (该吹未吹)."""
    at = _as_of(as_of)
    try:
        since = at - timedelta(days=window_days)
    except OverflowError as exc:
        raise InvalidInput(
            f"as_of less window_days ({window_days}) is before the year 1", field="as_of"
        ) from exc
    cells = service.should_have_whistled(
        session=session, actor=actor, as_of=at, window_days=window_days, min_local=min_local
    )
    return ShouldHaveWhistledPublic(
        as_of=at,
        since=since,
        window_days=window_days,
        min_local=min_local,
        cells=[LocalCellPublic.model_validate(c) for c in cells],
    )
