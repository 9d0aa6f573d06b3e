"""The scoreboard counts each department's chases (催办) and escalations (督办)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from api.auth.models import User
from api.auth.service import actor_of
from api.whistles.service import acknowledge
from tests.api.support import Api
from tests.api.whistles.test_supervision_job import bj, run, whistled


def scoreboard(api: Api, **params: Any) -> dict[str, Any]:
    got = api.call(
        "GET",
        "/api/assessment/scoreboard",
        "admin",
        params={"period": "2026-06", "as_of": bj(6, 13).isoformat(), **params},
    )
    assert got.status_code == 200, got.text
    return dict(got.json())


def test_chases_and_escalations_per_department(api: Api) -> None:
    _case, assignments = whistled(api)  # huangpu, Wednesday 3 June 2026 18:00
    lead = next(a for a in assignments if a.overall_lead)
    staff = api.session.scalar(
        select(User).where(
            User.jurisdiction == lead.department_code, User.username.startswith("t-")
        )
    )
    assert staff is not None
    acknowledge(session=api.session, assignment=lead, actor=actor_of(staff), at=bj(6, 5, 10))
    before = scoreboard(api)
    assert before["total"]["chases"] == before["total"]["escalations"] == 0
    for now in (bj(6, 6, 18), bj(6, 10), bj(6, 13)):
        run(api, now)
    board = scoreboard(api)
    rows = {row["code"]: row for row in board["rows"]}
    for a in assignments:
        row = rows[a.department_code]
        if a.id == lead.id:
            # on site and resolve chased; on site to district and city, resolve to district
            assert (row["chases"], row["escalations"]) == (2, 3)
        else:
            assert (row["chases"], row["escalations"]) == (3, 5), a.department_code
    n = len(assignments)
    assert (board["total"]["chases"], board["total"]["escalations"]) == (3 * n - 1, 5 * n - 2)
    streets = scoreboard(api, by="street")
    assert sum(r["chases"] for r in streets["rows"]) == 3 * n - 1
    # counted in the month of the dispatch, like the whistle scores
    assert scoreboard(api, period="2026-07")["total"]["chases"] == 0
