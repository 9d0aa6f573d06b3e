"""GET /api/events/stream: the case events the caller may see, resumed after the last id."""

from __future__ import annotations

import json
from typing import Any

import pytest
from sqlalchemy import delete, func, select

from api.auth.service import actor_by_token
from api.cases.models import CaseEvent
from api.events.stream import GAP_S, Cursor, read_after
from tests.api.notifications.world import World
from tests.api.support import problem

GW = "110102020"


def messages(world: World, user: str, query: str = "", **headers: str) -> list[dict[str, Any]]:
    """The events of a stream that does not follow (it ends once caught up)."""
    answer = world.api.call("GET", f"/api/events/stream?follow=false{query}", user, headers=headers)
    assert answer.status_code == 200, answer.text
    assert answer.headers["content-type"].startswith("text/event-stream")
    found = []
    for block in answer.text.split("\n\n"):
        lines = dict(line.split(": ", 1) for line in block.splitlines() if ": " in line)
        if "data" in lines:
            event = json.loads(lines["data"])
            assert lines["id"] == str(event["id"]) and lines["event"] == "case"
            found.append(event)
    return found


def newest(world: World) -> int:
    return int(world.api.session.scalar(select(func.max(CaseEvent.id))) or 0)


def test_without_an_id_the_stream_starts_after_the_newest_event(world: World) -> None:
    world.report("worker-gw", *world.inside(GW))
    assert messages(world, "gw") == []


def test_a_resumed_stream_sends_the_later_events_the_caller_may_see(world: World) -> None:
    before = newest(world)
    case_id = world.report("worker-gw", *world.inside(GW))
    mine = messages(world, "gw", f"&last_event_id={before}")
    assert [(e["case_id"], e["kind"]) for e in mine] == [
        (case_id, "case:new"),
        (case_id, "report:received"),
    ]
    assert mine[0]["to_status"] == "new" and all(e["id"] > before for e in mine)
    # the same with the header EventSource sends, and from the first event on
    assert messages(world, "gw", **{"Last-Event-ID": str(before)}) == mine
    assert messages(world, "gw", f"&last_event_id={mine[0]['id']}") == mine[1:]
    # the reporter sees its own case; a street, a district and a worker elsewhere see nothing
    assert messages(world, "worker-gw", f"&last_event_id={before}") == mine
    for outsider in ("other-street", "tpq", "fengtai", "worker-far", "xc-cgzf"):
        assert messages(world, outsider, f"&last_event_id={before}") == [], outsider
    assert messages(world, "xicheng", f"&last_event_id={before}") == mine


def test_a_department_hears_of_a_case_once_it_is_dispatched(world: World) -> None:
    before = newest(world)
    case_id = world.building()
    assert messages(world, "xc-cgzf", f"&last_event_id={before}") == []
    world.act("POST", f"/api/cases/{case_id}/whistle", "gw", json={})
    kinds = [e["kind"] for e in messages(world, "xc-cgzf", f"&last_event_id={before}")]
    assert kinds[:2] == ["case:new", "report:received"] and "case:whistled" in kinds


def test_the_login_cookie_opens_the_stream(world: World) -> None:
    before = newest(world)
    world.report("worker-gw", *world.inside(GW))
    client = world.api.client
    client.cookies.set("gridwhistle_token", world.api.tokens["gw"])
    try:
        answer = client.get(f"/api/events/stream?follow=false&last_event_id={before}")
    finally:
        client.cookies.clear()
    assert answer.status_code == 200 and answer.text.count("event: case") == 2


@pytest.mark.parametrize(
    ("query", "headers", "status", "field"),
    [
        ("&last_event_id=-1", {}, 422, "last_event_id"),
        ("&last_event_id=2147483648", {}, 422, "last_event_id"),
        ("&last_event_id=abc", {}, 422, "last_event_id"),
        ("&follow=perhaps", {}, 422, "follow"),
        ("", {"Last-Event-ID": "abc"}, 422, "last-event-id"),
        ("", {"Last-Event-ID": "9999999999"}, 422, "Last-Event-ID"),
    ],
)
def test_a_bad_resume_id_is_refused(
    world: World, query: str, headers: dict[str, str], status: int, field: str
) -> None:
    answer = world.api.call("GET", f"/api/events/stream?follow=false{query}", "gw", headers=headers)
    body = problem(answer, status)
    assert body["field"].lower() == field.lower()


def test_without_a_valid_token_the_stream_is_refused(world: World) -> None:
    problem(world.api.call("GET", "/api/events/stream", None), 401, "authorization")
    refused = world.api.client.get(
        "/api/events/stream", headers={"Authorization": "Bearer not-a-token"}
    )
    problem(refused, 401, "authorization")


def test_events_committed_late_below_the_cursor_are_sent_from_the_gaps(world: World) -> None:
    before = newest(world)
    world.report("worker-gw", *world.inside(GW))
    first, second = sorted(
        world.api.session.scalars(select(CaseEvent.id).where(CaseEvent.id > before))
    )
    actor = actor_by_token(session=world.api.session, token=world.api.tokens["gw"])
    assert actor is not None
    # a stream that saw the second event while the first was still uncommitted
    cursor = Cursor(last=second, gaps={first: 100.0})
    sent = read_after(session=world.api.session, actor=actor, cursor=cursor, now=101.0)
    assert [e["id"] for e in sent] == [first] and cursor.gaps == {} and cursor.last == second
    # a gap is forgotten after GAP_S: a transaction that rolled back never fills it
    cursor = Cursor(last=second, gaps={first: 100.0})
    assert read_after(session=world.api.session, actor=actor, cursor=cursor, now=100 + GAP_S) == []
    # ids skipped on the way up are remembered as gaps
    cursor = Cursor(last=before)
    world.api.session.execute(delete(CaseEvent).where(CaseEvent.id == first))
    assert [
        e["id"] for e in read_after(session=world.api.session, actor=actor, cursor=cursor, now=5.0)
    ] == [second]
    assert cursor.gaps[first] == 5.0 and all(before < gap < second for gap in cursor.gaps)
