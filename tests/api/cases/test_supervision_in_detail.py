"""The case detail gives each assignment its supervision level at the time of asking (the
whistle board's ladder, docs/supervision.md): none, 黄牌预警, 超期, 已催办, 区级督办, 市级督办."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import time_machine
from sqlalchemy import select

from api.whistles.models import Assignment
from tests.api.support import BUILDING, Api

BJ = ZoneInfo("Asia/Shanghai")
T0 = datetime(2026, 6, 3, 18, 0, tzinfo=BJ)  # Wednesday: huangpu acknowledge due Fri 18:00


def test_each_open_assignment_shows_its_level_and_a_resolved_one_none(api: Api) -> None:
    with time_machine.travel(T0, tick=False) as clock:
        body = {"geometry": BUILDING, "category": "E0303"}
        case_id = api.call("POST", "/api/reports", "worker-gw", json=body).json()["case_id"]
        blown = api.call(
            "POST", f"/api/cases/{case_id}/whistle", "gw", json={"sla_policy": "huangpu"}
        )
        assert blown.status_code == 200, blown.text

        def levels() -> dict[str, str]:
            detail = api.call("GET", f"/api/cases/{case_id}", "gw")
            assert detail.status_code == 200, detail.text
            return {a["department_code"]: a["supervision"] for a in detail.json()["assignments"]}

        assert set(levels().values()) == {"none"}
        # the default ladder (0.8, 24h, 2wd, 5wd), as in docs/supervision.md's example
        clock.move_to(datetime(2026, 6, 5, 8, 30, tzinfo=BJ))  # after 80 % of 48 h
        assert set(levels().values()) == {"warning"}
        clock.move_to(datetime(2026, 6, 5, 18, 1, tzinfo=BJ))
        assert set(levels().values()) == {"overdue"}
        clock.move_to(datetime(2026, 6, 6, 18, 0, tzinfo=BJ))
        assert set(levels().values()) == {"chased"}
        clock.move_to(datetime(2026, 6, 10, 0, 0, tzinfo=BJ))
        assert set(levels().values()) == {"district"}
        clock.move_to(datetime(2026, 6, 13, 0, 0, tzinfo=BJ))
        assert set(levels().values()) == {"city"}

        # 西城 城管执法 acknowledges: its on-site obligation (due at the same time) still
        # climbs; a disputed assignment is out of the ladder
        xc, ft = (
            api.session.scalar(
                select(Assignment.id).where(
                    Assignment.case_id == case_id, Assignment.department_code == code
                )
            )
            for code in ("110102-cgzf", "110106-cgzf")
        )
        assert api.call("POST", f"/api/assignments/{xc}/acknowledge", "xc-cgzf").is_success
        disputed = api.call(
            "POST", f"/api/assignments/{ft}/dispute", "ft-cgzf", json={"reason": "不归我们"}
        )
        assert disputed.is_success, disputed.text
        clock.move_to(T0 + timedelta(days=10))
        now = levels()
        assert (now["110102-cgzf"], now["110106-cgzf"]) == ("city", "none")
