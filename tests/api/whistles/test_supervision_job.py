"""The overdue job's supervision steps: each step of each obligation recorded once, at
successive explicit instants, in the same round as the overdue obligations."""

from __future__ import annotations

from collections import Counter
from datetime import datetime
from typing import Any

from sqlalchemy import select
from typer.testing import CliRunner

from api.auth.models import User
from api.auth.service import actor_of
from api.cases.models import Case, CaseEvent
from api.cases.service import get_case
from api.cli import app as cli
from api.config import get_settings
from api.deadlines.calendar import TZ
from api.deadlines.service import calendar, policies_from
from api.whistles.jobs import Round, run_round
from api.whistles.models import Assignment
from api.whistles.service import acknowledge, blow, decide_extension, request_extension
from tests.api.support import BUILDING, Api

DATA = get_settings().data_dir
# huangpu (acknowledge 2d, on site 2d, resolve 5wd) blown on Wednesday 3 June 2026, 18:00:
# acknowledge and on site are due Friday 18:00, resolve at the end of Wednesday 10 June.
# The default ladder (0.8, 24h, 2wd, 5wd) then gives, for acknowledge and on site:
#   warning Fri 05 08:24, overdue after Fri 05 18:00, chased Sat 06 18:00,
#   district Wed 10 00:00 (end of Tue 09), city Sat 13 00:00 (end of Fri 12);
# for resolve: warning Tue 09 13:12 (0.8 × 174 h), overdue after Thu 11 00:00,
#   chased Fri 12 00:00, district Sat 13 00:00, city Thu 18 00:00.
BLOWN = datetime(2026, 6, 3, 18, 0, tzinfo=TZ)


def bj(month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(2026, month, day, hour, minute, tzinfo=TZ)


def whistled(
    api: Api, at: datetime = BLOWN, policy: str = "huangpu", category: str = "E0303"
) -> tuple[Case, list[Any]]:
    """A case of ``category`` reported in 广外 and whistled at ``at`` under ``policy``; its
    assignments."""
    case_id = api.call(
        "POST", "/api/reports", "worker-gw", json={"geometry": BUILDING, "category": category}
    ).json()["case_id"]
    user = api.session.scalar(select(User).where(User.username == "t-gw"))
    assert user is not None
    case = get_case(session=api.session, case_id=case_id)
    whistle = blow(
        session=api.session,
        case=case,
        actor=actor_of(user),
        at=at,
        sla_policy=policy,
        policies=policies_from(DATA),
        calendar=calendar(session=api.session),
    )
    api.session.flush()
    assignments = api.session.scalars(
        select(Assignment).where(Assignment.whistle_id == whistle.id).order_by(Assignment.id)
    )
    return case, list(assignments)


def supervision_events(api: Api, case: Case) -> list[CaseEvent]:
    return list(
        api.session.scalars(
            select(CaseEvent)
            .where(CaseEvent.case_id == case.id, CaseEvent.kind.startswith("supervision:"))
            .order_by(CaseEvent.id)
        )
    )


def run(api: Api, now: datetime) -> Round:
    done = run_round(session=api.session, now=now, data_dir=DATA)
    api.session.flush()
    return done


def steps_at(api: Api, case: Case, now: datetime) -> Counter[tuple[str, str]]:
    """(step, obligation) of the events a round at ``now`` recorded on the case."""
    return Counter(
        (e.kind.removeprefix("supervision:"), e.data["obligation"])
        for e in supervision_events(api, case)
        if e.at == now
    )


def test_each_step_of_each_obligation_is_recorded_once(api: Api) -> None:
    case, assignments = whistled(api)
    n = len(assignments)
    lead = next(a for a in assignments if a.overall_lead)
    staff = api.session.scalar(
        select(User).where(
            User.jurisdiction == lead.department_code, User.username.startswith("t-")
        )
    )
    assert staff is not None and n >= 2

    assert run(api, bj(6, 5, 8, 23)) == Round(overdue=0, supervision=0)
    assert run(api, bj(6, 5, 8, 24)) == Round(overdue=0, supervision=2 * n)
    assert steps_at(api, case, bj(6, 5, 8, 24)) == Counter(
        {("warning", "acknowledge"): n, ("warning", "on_site"): n}
    )
    assert run(api, bj(6, 5, 9, 0)) == Round(overdue=0, supervision=0)  # nothing new

    acknowledge(session=api.session, assignment=lead, actor=actor_of(staff), at=bj(6, 5, 10))
    # overdue: the others' acknowledgement and everyone's arrival; chased a day later
    assert run(api, bj(6, 5, 18, 1)) == Round(overdue=2 * n - 1, supervision=0)
    assert run(api, bj(6, 6, 18, 0)) == Round(overdue=0, supervision=2 * n - 1)
    assert steps_at(api, case, bj(6, 6, 18, 0)) == Counter(
        {("chased", "acknowledge"): n - 1, ("chased", "on_site"): n}
    )
    # Tuesday afternoon the resolve warning; Wednesday 00:00 district supervision (2wd)
    assert run(api, bj(6, 9, 13, 12)) == Round(overdue=0, supervision=n)
    assert run(api, bj(6, 10, 0, 0)) == Round(overdue=0, supervision=2 * n - 1)
    assert steps_at(api, case, bj(6, 10)) == Counter(
        {("district", "acknowledge"): n - 1, ("district", "on_site"): n}
    )
    # Saturday 13 June, 00:00: the city for the first two; resolve overdue, chased and
    # district in one round (its warning was recorded on Tuesday)
    assert run(api, bj(6, 13, 0, 0)) == Round(overdue=n, supervision=(2 * n - 1) + 2 * n)
    assert steps_at(api, case, bj(6, 13)) == Counter(
        {
            ("city", "acknowledge"): n - 1,
            ("city", "on_site"): n,
            ("chased", "resolve"): n,
            ("district", "resolve"): n,
        }
    )
    assert run(api, bj(6, 13, 0, 0)) == Round(overdue=0, supervision=0)
    assert run(api, bj(6, 18, 0, 0)) == Round(overdue=0, supervision=n)  # resolve: the city
    assert run(api, bj(7, 30)) == Round(overdue=0, supervision=0)

    # every (assignment, obligation, step) once; the lead's acknowledgement only warned
    seen = Counter(
        (e.data["assignment_id"], e.data["obligation"], e.kind)
        for e in supervision_events(api, case)
    )
    assert set(seen.values()) == {1}
    assert {k for (aid, ob, k) in seen if aid == lead.id and ob == "acknowledge"} == {
        "supervision:warning"
    }
    assert len(seen) == 4 * 3 * n - 3


def test_an_event_names_the_obligation_department_and_times(api: Api) -> None:
    case, assignments = whistled(api)
    run(api, bj(6, 6, 18, 0))
    chase = next(
        e
        for e in supervision_events(api, case)
        if e.kind == "supervision:chased"
        and e.data["assignment_id"] == assignments[0].id
        and e.data["obligation"] == "on_site"
    )
    assert chase.actor_role == "system" and chase.actor_name == "overdue job"
    assert chase.at == bj(6, 6, 18, 0)
    assert chase.data == {
        "assignment_id": assignments[0].id,
        "department_code": assignments[0].department_code,
        "district_code": "110102",
        "obligation": "on_site",
        "due_at": bj(6, 5, 18).isoformat(),
        "reached_at": bj(6, 6, 18).isoformat(),
        "sla_policy": "huangpu",
    }


def test_a_first_round_after_the_deadline_records_no_warning(api: Api) -> None:
    case, assignments = whistled(api)
    # the service was down until Sunday: overdue and chased, never warned
    assert run(api, bj(6, 7, 12)) == Round(
        overdue=2 * len(assignments), supervision=2 * len(assignments)
    )
    assert {e.kind for e in supervision_events(api, case)} == {"supervision:chased"}


def test_the_emergency_ladder_counts_in_hours(api: Api) -> None:
    # emergency: acknowledge 0.5h; ladder 0.5, 1h, 4h, 24h
    blown = bj(6, 6, 22, 0)  # a Saturday night
    case, assignments = whistled(api, at=blown, policy="emergency")
    n = len(assignments)
    assert run(api, bj(6, 6, 22, 15)).supervision == n  # acknowledge: half its time
    assert steps_at(api, case, bj(6, 6, 22, 15)) == Counter({("warning", "acknowledge"): n})
    # 02:30: acknowledge chased (23:30) and district (4 h after 22:30); on site (due 00:00)
    # chased at 01:00, its warning (23:00) passed unrecorded
    assert run(api, bj(6, 7, 2, 30)).supervision == 3 * n
    assert steps_at(api, case, bj(6, 7, 2, 30)) == Counter(
        {("chased", "acknowledge"): n, ("district", "acknowledge"): n, ("chased", "on_site"): n}
    )


def test_an_approved_extension_starts_the_resolve_ladder_again(api: Api) -> None:
    case, assignments = whistled(api)
    lead = next(a for a in assignments if a.overall_lead)
    staff = api.session.scalar(
        select(User).where(
            User.jurisdiction == lead.department_code, User.username.startswith("t-")
        )
    )
    street = api.session.scalar(select(User).where(User.username == "t-gw"))
    assert staff is not None and street is not None
    acknowledge(session=api.session, assignment=lead, actor=actor_of(staff), at=bj(6, 5, 10))
    run(api, bj(6, 9, 13, 12))  # resolve (due Thu 11 00:00) warned
    asked = request_extension(
        session=api.session,
        assignment=lead,
        actor=actor_of(staff),
        at=bj(6, 9, 14),
        amount="3wd",
        reason="需协调拆除队伍",
        calendar=calendar(session=api.session),
    )
    decide_extension(
        session=api.session,
        extension=asked,
        actor=actor_of(street),
        at=bj(6, 9, 15),
        approve=True,
        note="同意",
    )
    api.session.flush()
    assert lead.resolve_due_at == bj(6, 16)  # 3 working days after Wednesday 10: Thu, Fri, Mon
    # 80 % of the new 294 hours: Saturday 13 June 13:12
    run(api, bj(6, 13, 13, 11))
    run(api, bj(6, 13, 13, 12))
    warned = [
        (e.at, e.data["due_at"])
        for e in supervision_events(api, case)
        if e.data["assignment_id"] == lead.id and e.data["obligation"] == "resolve"
    ]
    assert warned == [
        (bj(6, 9, 13, 12), bj(6, 11).isoformat()),
        (bj(6, 13, 13, 12), bj(6, 16).isoformat()),
    ]


def test_the_command_runs_the_same_round(cli_db: str) -> None:
    result = CliRunner().invoke(cli, ["jobs", "overdue"])
    assert result.exit_code == 0, result.output
    assert result.output.splitlines() == [
        "0 obligation(s) newly overdue",
        "0 supervision step(s) newly reached",
    ]
