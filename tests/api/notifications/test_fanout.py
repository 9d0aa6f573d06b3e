"""The fan-out over the real workflow: each event tells the users the role model says, once;
the one who acted is not told."""

from __future__ import annotations

from sqlalchemy import func, select, text

from api.notifications.models import EventQueue, Notification
from tests.api.notifications.world import CHIEF, OTHER_CHIEF, World

GW, TPQ = "110102020", "110106002"


def test_every_event_of_a_report_is_queued_by_the_trigger(world: World) -> None:
    case_id = world.building()
    queued = world.api.session.scalars(
        text(
            "SELECT e.kind FROM event_queue q JOIN case_events e ON e.id = q.event_id "
            "WHERE e.case_id = :c ORDER BY e.id"
        ),
        {"c": case_id},
    ).all()
    assert queued == ["case:new", "report:received"]  # written by the report's one statement


def test_a_new_case_tells_its_streets_not_the_reporter_and_only_once(world: World) -> None:
    case_id = world.building()  # astride 广外 and 太平桥
    taken = world.fan_out()
    assert len(taken) >= 2
    assert world.texts("gw", case_id) == [f"新案件 {case_id} 待受理"]
    assert world.texts("tpq", case_id) == [f"新案件 {case_id} 待受理"]
    assert world.texts("worker-gw", case_id) == []  # the reporter did it
    assert world.texts("other-street", case_id) == []
    assert world.texts("xc-cgzf", case_id) == []
    before = world.count()
    assert world.fan_out() == []  # the queue is empty: nothing is told twice
    assert world.count() == before
    assert world.api.session.scalar(select(func.count()).select_from(EventQueue)) == 0


def test_a_whistle_tells_the_departments_and_the_reporter_not_the_whistler(world: World) -> None:
    case_id = world.building()
    world.act("POST", f"/api/cases/{case_id}/whistle", "gw", json={"note": "联合吹哨"})
    case = world.act("GET", f"/api/cases/{case_id}", "gw")
    dispatched = {a["department_code"] for a in case["assignments"]}
    assert {"110102-cgzf", "110106-cgzf"} <= dispatched and "110102-swj" not in dispatched
    world.fan_out()
    for dept in ("xc-cgzf", "ft-cgzf"):
        assert world.texts(dept, case_id) == [f"案件 {case_id} 吹哨派单，请按时签收"]
    assert world.texts("worker-gw", case_id) == [f"您上报的案件 {case_id}：已吹哨"]
    assert world.texts("gw", case_id) == [f"新案件 {case_id} 待受理"]  # not its own whistle
    assert world.texts("xc-swj", case_id) == []  # not dispatched


def test_a_dispute_goes_back_to_the_lead_street(world: World) -> None:
    case_id = world.building()
    world.act("POST", f"/api/cases/{case_id}/whistle", "gw", json={})
    case = world.act("GET", f"/api/cases/{case_id}", "gw")
    ft = next(a["id"] for a in case["assignments"] if a["department_code"] == "110106-cgzf")
    world.act("POST", f"/api/assignments/{ft}/dispute", "ft-cgzf", json={"reason": "不归我们管"})
    world.fan_out()
    assert world.texts("gw", case_id)[-1] == f"案件 {case_id} 被 110106-cgzf 提出派单异议"
    assert world.texts("tpq", case_id) == [f"新案件 {case_id} 待受理"]  # partner: no dispute
    assert world.texts("ft-cgzf", case_id) == [f"案件 {case_id} 吹哨派单，请按时签收"]


def test_a_chief_hears_of_whistles_along_their_roads_only(world: World) -> None:
    lon, lat = world.point_on_road_of(CHIEF)
    far = world.api.session.scalar(
        text(
            "SELECT NOT EXISTS (SELECT 1 FROM roads WHERE chief_ref = :r AND ST_DWithin("
            "geom::geography, ST_SetSRID(ST_MakePoint(:x, :y), 4326)::geography, 30))"
        ),
        {"r": OTHER_CHIEF, "x": lon, "y": lat},
    )
    assert far, "the test point must be away from the other chief's roads"
    case_id = world.report("worker-gw", lon, lat, category="E0401")
    world.fan_out()
    assert world.texts(CHIEF, case_id) == []  # a new case is not a whistle
    world.act("POST", f"/api/cases/{case_id}/whistle", "gw", json={})
    world.fan_out()
    assert world.texts(CHIEF, case_id) == [f"您负责的街巷上，案件 {case_id} 已吹哨"]
    assert world.texts(OTHER_CHIEF, case_id) == []


def test_an_inactive_user_is_told_nothing(world: World) -> None:
    world.api.session.execute(text("UPDATE users SET active = false WHERE username = 't-tpq'"))
    case_id = world.building()
    world.fan_out()
    assert world.texts("tpq", case_id) == []
    assert world.texts("gw", case_id) != []


def test_each_notification_names_its_event_and_case(world: World) -> None:
    case_id = world.building()
    world.fan_out()
    rows = world.api.session.execute(
        text(
            "SELECT n.kind, e.kind, n.at = e.at, n.read_at FROM notifications n "
            "JOIN case_events e ON e.id = n.event_id WHERE n.case_id = :c"
        ),
        {"c": case_id},
    ).all()
    assert rows and all(r[0] == r[1] == "case:new" and r[2] and r[3] is None for r in rows)
    assert world.api.session.scalar(
        select(func.count()).select_from(Notification).where(Notification.case_id == case_id)
    ) == len(rows)
