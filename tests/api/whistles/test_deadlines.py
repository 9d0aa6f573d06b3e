"""Deadlines on whistles: SLA policies, provisional 2027 dates, loading a year, overdue job."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from sqlalchemy import select

from api.auth.models import User
from api.auth.roles import Actor
from api.auth.service import actor_of
from api.cases.models import Case, CaseEvent
from api.cases.service import get_case
from api.config import get_settings
from api.deadlines.calendar import read_year_file
from api.deadlines.service import calendar, load_year, policies_from, recompute_provisional
from api.whistles.jobs import mark_overdue
from api.whistles.models import Assignment
from api.whistles.service import blow
from tests.api.support import BUILDING, Api

BEIJING = ZoneInfo("Asia/Shanghai")
FIXTURE_2027 = Path(__file__).resolve().parents[1] / "deadlines" / "fixtures" / "2027.csv"


def _case_and_actor(api: Api) -> tuple[Case, Actor]:
    case_id = api.call(
        "POST", "/api/reports", "worker-gw", json={"geometry": BUILDING, "category": "E0303"}
    ).json()["case_id"]
    user = api.session.scalar(select(User).where(User.username == "t-gw"))
    assert user is not None
    return get_case(session=api.session, case_id=case_id), actor_of(user)


def _blow(api: Api, policy: str, at: datetime) -> tuple[Case, list[Assignment]]:
    case, actor = _case_and_actor(api)
    whistle = blow(
        session=api.session,
        case=case,
        actor=actor,
        at=at,
        sla_policy=policy,
        policies=policies_from(get_settings().data_dir),
        calendar=calendar(session=api.session),
    )
    api.session.flush()
    return case, list(
        api.session.scalars(select(Assignment).where(Assignment.whistle_id == whistle.id))
    )


def test_quarter_long_deadline_into_2027_is_provisional_until_the_year_is_loaded(api: Api) -> None:
    start = datetime(2026, 11, 23, 9, 0, tzinfo=BEIJING)
    case, assignments = _blow(api, "maanshan", start)
    lead = next(a for a in assignments if a.overall_lead)
    assert lead.due_provisional
    # 60 working days, weekends only in 2027: 2027-02-16 00:00 (hand count in the calendar tests)
    assert lead.resolve_due_at.astimezone(BEIJING) == datetime(2027, 2, 16, tzinfo=BEIJING)
    shown = api.call("GET", f"/api/cases/{case.id}", "gw").json()
    assert all(a["due_provisional"] for a in shown["assignments"])

    load_year(session=api.session, year=read_year_file(FIXTURE_2027))
    changed = recompute_provisional(
        session=api.session,
        work=calendar(session=api.session),
        policies=policies_from(get_settings().data_dir),
        at=start + timedelta(days=1),
    )
    api.session.flush()
    assert changed == len(assignments)
    api.session.refresh(lead)
    assert not lead.due_provisional
    # the fixture's three holidays and one make-up Saturday move it to 2027-02-19 00:00
    assert lead.resolve_due_at.astimezone(BEIJING) == datetime(2027, 2, 19, tzinfo=BEIJING)
    kinds = [
        e.kind for e in api.session.scalars(select(CaseEvent).where(CaseEvent.case_id == case.id))
    ]
    assert kinds.count("deadline:recomputed") == len(assignments)


def test_emergency_whistle_must_be_acknowledged_within_30_minutes(api: Api) -> None:
    start = datetime(2026, 11, 20, 22, 15, tzinfo=BEIJING)
    _case, assignments = _blow(api, "emergency", start)
    for a in assignments:
        assert a.acknowledge_due_at - a.dispatched_at == timedelta(minutes=30)
        assert not a.due_provisional


def test_overdue_job_records_each_late_obligation_once_and_the_board_shows_it(api: Api) -> None:
    blown = datetime(2026, 6, 1, 9, 0, tzinfo=BEIJING)  # a Monday in an ordinary week
    case, assignments = _blow(api, "huangpu", blown)
    # huangpu: acknowledge 2d, on site 2d, resolve 5wd (end of Monday 06-08)
    assert mark_overdue(session=api.session, now=blown + timedelta(days=1)) == 0
    first = mark_overdue(session=api.session, now=datetime(2026, 6, 9, 0, 1, tzinfo=BEIJING))
    api.session.flush()
    # all three passed for every department, each recorded once
    assert first == 3 * len(assignments)
    assert mark_overdue(session=api.session, now=blown + timedelta(days=30)) == 0
    # the board compares with the present, which is later than all of these
    late = api.call("GET", "/api/whistles", "gw", params={"overdue": "true"}).json()
    assert {a["id"] for a in late} >= {a.id for a in assignments}
    assert all(
        set(a["overdue"]) == {"acknowledge", "on_site", "resolve"}
        for a in late
        if a["case_id"] == case.id
    )
    on_time = api.call(
        "GET", "/api/whistles", "gw", params={"overdue": "false", "case_id": case.id}
    ).json()
    assert on_time == []
    mine = api.call("GET", "/api/whistles", "xc-cgzf", params={"overdue": "true"}).json()
    assert {a["department_code"] for a in mine} == {"110102-cgzf"}
