"""The whistle board's supervision level and filter, at explicit instants (``as_of``)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import pytest
from sqlalchemy import select

from api.auth.models import User
from api.auth.service import actor_of
from api.whistles.service import acknowledge, dispute
from tests.api.support import Api
from tests.api.whistles.test_supervision_job import bj, whistled

LEVELS = ("warning", "overdue", "chased", "district", "city")


def board(api: Api, user: str, at: datetime, **params: Any) -> list[dict[str, Any]]:
    got = api.call("GET", "/api/whistles", user, params={"as_of": at.isoformat(), **params})
    assert got.status_code == 200, got.text
    return list(got.json())


def levels(api: Api, case_id: int, at: datetime) -> dict[int, str]:
    return {a["id"]: a["supervision"] for a in board(api, "gw", at, case_id=case_id)}


def staff_of(api: Api, department: str) -> User:
    user = api.session.scalar(
        select(User).where(User.jurisdiction == department, User.username.startswith("t-"))
    )
    assert user is not None
    return user


def test_each_assignment_carries_its_level_at_the_instant(api: Api) -> None:
    case, assignments = whistled(api)  # huangpu, Wednesday 3 June 2026 18:00
    lead = next(a for a in assignments if a.overall_lead)
    acknowledge(
        session=api.session,
        assignment=lead,
        actor=actor_of(staff_of(api, lead.department_code)),
        at=bj(6, 5, 10),
    )
    # 规划自然资源 answers "not ours": nothing of it runs late any more (as_of is the clock
    # for the due times, the rows are as they are now)
    ghzy = next(a for a in assignments if a.department_code == "110102-ghzy")
    dispute(
        session=api.session,
        assignment=ghzy,
        actor=actor_of(staff_of(api, "110102-ghzy")),
        at=bj(6, 5, 12),
        reason="不属本部门",
    )
    api.session.flush()
    ids = [a.id for a in assignments]
    assert levels(api, case.id, bj(6, 5, 8, 0)) == dict.fromkeys(ids, "none")
    expected = [
        (bj(6, 5, 9, 0), "warning"),
        (bj(6, 5, 18, 30), "overdue"),
        (bj(6, 6, 18, 0), "chased"),
        (bj(6, 10, 0, 0), "district"),
        (bj(6, 13, 0, 0), "city"),
    ]
    for at, level in expected:
        assert levels(api, case.id, at) == {**dict.fromkeys(ids, level), ghzy.id: "none"}, at


@pytest.mark.parametrize(
    "at",
    [
        bj(6, 4, 20, 0),  # half the time of huangpu's first two obligations, not 80 %
        bj(6, 5, 8, 30),
        bj(6, 5, 17, 0),
        bj(6, 5, 20, 0),
        bj(6, 6, 19, 0),
        bj(6, 9, 14, 0),
        bj(6, 10, 0, 0),
        bj(6, 11, 12, 0),
        bj(6, 13, 0, 0),
        bj(6, 18, 0, 0),
    ],
)
def test_the_filter_returns_exactly_the_rows_at_each_level(api: Api, at: datetime) -> None:
    huangpu, _ = whistled(api)
    emergency, _ = whistled(api, at=bj(6, 5, 8, 0), policy="emergency", category="E0101")
    mine = {huangpu.id, emergency.id}
    everything = [a for a in board(api, "admin", at) if a["case_id"] in mine]
    assert len(everything) >= 4
    for level in LEVELS:
        filtered = {
            a["id"] for a in board(api, "admin", at, supervision=level) if a["case_id"] in mine
        }
        assert filtered == {a["id"] for a in everything if a["supervision"] == level}, level


def test_the_filter_at_written_out_instants(api: Api) -> None:
    huangpu, h = whistled(api)
    emergency, e = whistled(api, at=bj(6, 5, 8, 0), policy="emergency", category="E0101")
    # 09:00: huangpu warned (80 % of 48 h); emergency acknowledgement (due 08:30) overdue
    at = bj(6, 5, 9, 0)
    assert {a["case_id"] for a in board(api, "gw", at, supervision="warning")} >= {huangpu.id}
    overdue = board(api, "gw", at, supervision="overdue")
    assert {a["id"] for a in overdue if a["case_id"] in (huangpu.id, emergency.id)} == {
        a.id for a in e
    }
    # 12:30, 4 h after 08:30: the emergency whistle is under district supervision
    at = bj(6, 5, 12, 30)
    district = board(api, "gw", at, supervision="district")
    assert {a["case_id"] for a in district} >= {emergency.id}
    assert huangpu.id not in {a["case_id"] for a in district}
    # a department sees its own rows only
    mine = board(api, "xc-cgzf", at, supervision="district")
    assert {a["department_code"] for a in mine} <= {"110102-cgzf"}
    assert len(h) >= 1


def test_an_unknown_level_is_refused_naming_the_parameter(api: Api) -> None:
    got = api.call("GET", "/api/whistles", "gw", params={"supervision": "red"})
    assert got.status_code == 422
    assert "supervision" in got.text
