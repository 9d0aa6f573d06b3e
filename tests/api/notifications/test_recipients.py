"""Who is told of which event, per role (the pure rule of api/notifications/recipients.py)."""

from __future__ import annotations

from typing import Any

from api.auth.roles import Role
from api.notifications.recipients import Audience, EventFacts, notices

GW, TPQ = "110102020", "110106002"
COMMUNITY = "110102020001"


def facts(kind: str, to_status: str | None = None, **extra: Any) -> EventFacts:
    base: dict[str, Any] = {
        "event_id": 10,
        "case_id": 7,
        "kind": kind,
        "actor_id": 1,
        "data": {},
        "to_status": to_status,
        "streets": (GW, TPQ),
        "community": COMMUNITY,
    }
    return EventFacts(**{**base, **extra})


def told(event: EventFacts) -> set[Audience]:
    return {n.audience for n in notices(event)}


def test_a_new_case_goes_to_its_streets_and_community() -> None:
    assert told(facts("case:new", "new")) == {
        Audience(Role.STREET, GW),
        Audience(Role.STREET, TPQ),
        Audience(Role.COMMUNITY, COMMUNITY),
    }


def test_a_new_case_is_not_a_status_change_for_its_grid_worker() -> None:
    event = facts("case:new", "new", grid_workers=frozenset({5}))
    assert Audience(Role.GRID_WORKER, user_id=5) not in told(event)


def test_a_whistle_goes_to_each_dispatched_department_and_the_chiefs_along_it() -> None:
    data = {"departments": [{"code": "110102-cgzf", "role": "lead"}, {"code": "110106-cgzf"}]}
    event = facts("case:whistled", "whistled", data=data, chiefs=frozenset({"C110102020-01"}))
    assert told(event) == {
        Audience(Role.DEPARTMENT, "110102-cgzf"),
        Audience(Role.DEPARTMENT, "110106-cgzf"),
        Audience(Role.CHIEF, "C110102020-01"),
    }
    texts = {n.audience.role: n.text for n in notices(event)}
    assert texts[Role.DEPARTMENT] == "案件 7 吹哨派单，请按时签收"
    assert texts[Role.CHIEF] == "您负责的街巷上，案件 7 已吹哨"


def test_an_escalation_to_the_city_dispatches_the_city_departments() -> None:
    event = facts("whistle:escalated", data={"departments": [{"code": "110000-cgzf"}]})
    assert told(event) == {Audience(Role.DEPARTMENT, "110000-cgzf")}


def test_a_dispute_goes_back_to_the_lead_street_and_the_community() -> None:
    # any department's dispute of its assignment (the case itself is disputed only when the
    # overall lead disputes, and is then announced once, by the assignment's event)
    event = facts("assignment:disputed", "disputed", department="110106-cgzf")
    assert told(event) == {Audience(Role.STREET, GW), Audience(Role.COMMUNITY, COMMUNITY)}
    assert notices(event)[0].text == "案件 7 被 110106-cgzf 提出派单异议"
    assert (
        told(facts("case:disputed", "disputed", data={"department_code": "110102-cgzf"})) == set()
    )


def test_a_chase_goes_to_the_department_and_its_district_command_centre() -> None:
    data = {"department_code": "110106-cgzf", "district_code": "110106", "obligation": "on_site"}
    event = facts("supervision:chased", data=data)
    assert told(event) == {
        Audience(Role.DEPARTMENT, "110106-cgzf"),
        Audience(Role.DISTRICT, "110106"),
    }
    assert {n.text for n in notices(event)} == {
        "案件 7（到场）：催办",
        "案件 7：110106-cgzf（到场）催办",
    }


def test_escalations_reach_the_district_and_a_warning_only_the_department() -> None:
    data = {"department_code": "110102-cgzf", "district_code": "110102", "obligation": "resolve"}
    for kind in ("supervision:district", "supervision:city"):
        assert Audience(Role.DISTRICT, "110102") in told(facts(kind, data=data))
    assert told(facts("supervision:warning", data=data)) == {
        Audience(Role.DEPARTMENT, "110102-cgzf")
    }


def test_extension_requests_go_to_the_lead_street_and_decisions_to_the_department() -> None:
    assert told(facts("extension:requested", department="110102-cgzf")) == {
        Audience(Role.STREET, GW)
    }
    decided = facts("extension:denied", department="110102-cgzf")
    assert told(decided) == {Audience(Role.DEPARTMENT, "110102-cgzf")}
    assert notices(decided)[0].text == "案件 7 的延期申请未批准"


def test_a_grid_worker_hears_every_status_change_of_what_they_reported() -> None:
    workers = frozenset({5, 6})
    for status, words in (("resolved", "已解决"), ("closed", "已结案"), ("rejected", "已驳回")):
        event = facts(f"case:{status}", status, grid_workers=workers)
        assert {
            Audience(Role.GRID_WORKER, user_id=5),
            Audience(Role.GRID_WORKER, user_id=6),
        } <= told(event)
        assert f"您上报的案件 7：{words}" in {n.text for n in notices(event)}


def test_acts_without_a_status_change_tell_no_grid_worker() -> None:
    for kind in ("comment", "assignment:acknowledged", "report:attached", "case:merged_in"):
        assert told(facts(kind, grid_workers=frozenset({5}))) == set()


def test_roles_without_a_rule_hear_nothing() -> None:
    everyone = set()
    for kind in ("case:new", "case:whistled", "supervision:chased", "case:closed"):
        everyone |= {a.role for a in told(facts(kind, kind.split(":")[1]))}
    assert not everyone & {Role.ADMIN, Role.ANALYST, Role.HOTLINE}
