"""A scoreboard as of a past moment counts what was due then: an extension approved after
that moment does not take a ticket out of the month it was due in."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select

from api.assessment import service as assessment
from api.assessment.scoring import Period
from api.assessment.service import GroupBy
from api.cases.service import get_case
from api.config import get_settings
from api.deadlines.service import calendar, policies_from
from api.whistles import service as duty
from api.whistles.models import Assignment
from tests.api.assessment.conftest import actor
from tests.api.support import PIN, Api

BJ = ZoneInfo("Asia/Shanghai")
XC = "110102-cgzf"
GUANGWAI = "110102020"


def at(day: str, clock: str) -> datetime:
    """A Beijing time like at("10-28", "09:00") in 2026."""
    return datetime.fromisoformat(f"2026-{day}T{clock}:00").replace(tzinfo=BJ)


def _board(api: Api, period: str, as_of: datetime) -> assessment.Tally:
    rows, _total = assessment.scoreboard(
        session=api.session,
        actor=actor(api, "analyst"),
        period=Period.parse(period),
        by=GroupBy.STREET,
        rules=assessment.rules_from(get_settings().data_dir),
        as_of=as_of,
    )
    return rows[GUANGWAI]


def test_a_later_extension_leaves_a_past_board_as_it_was(api: Api) -> None:
    s = api.session
    report = api.call("POST", "/api/reports", "worker-gw", json=PIN)  # in 广外
    assert report.status_code == 201, report.text
    case = get_case(session=s, case_id=report.json()["case_id"])
    work = calendar(session=s)
    whistle = duty.blow(
        session=s,
        case=case,
        actor=actor(api, "gw"),
        at=at("10-28", "09:00"),  # dispatched in October
        sla_policy="huangpu",
        policies=policies_from(get_settings().data_dir),
        calendar=work,
        departments=[{"code": XC, "role": "lead", "overall_lead": True}],
        note="吹哨",
    )
    s.flush()
    lead = s.scalars(select(Assignment).where(Assignment.whistle_id == whistle.id)).one()
    duty.acknowledge(
        session=s, assignment=lead, actor=actor(api, "xc-cgzf"), at=at("10-28", "10:00")
    )
    first_due = lead.resolve_due_at
    assert Period.parse("2026-11").start <= first_due < Period.parse("2026-11").end
    as_of = first_due + timedelta(hours=1)  # past its due time, still open: it is due
    later = as_of + timedelta(days=1)

    before = _board(api, "2026-11", as_of)
    assert (before.scored, before.due, before.closed) == (0, 1, 0)

    ext = duty.request_extension(
        session=s,
        assignment=lead,
        actor=actor(api, "xc-cgzf"),
        at=later,
        amount="20wd",
        reason="需走拆除程序",
        calendar=work,
    )
    duty.decide_extension(
        session=s, extension=ext, actor=actor(api, "gw"), at=later, approve=True, note="同意"
    )
    s.flush()
    assert lead.resolve_due_at >= Period.parse("2026-12").start  # now due in December

    # the same board, as of the same moment, recomputed after the extension
    again = _board(api, "2026-11", as_of)
    assert (again.scored, again.due, again.closed) == (before.scored, before.due, before.closed)
