"""The inbox routes: the caller's notifications, newest first; read one or all; refusals
write nothing."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from api.notifications.models import Notification
from tests.api.notifications.world import World
from tests.api.support import problem


def inbox(world: World, user: str, query: str = "") -> dict:
    answer = world.api.call("GET", f"/api/notifications{query}", user)
    assert answer.status_code == 200, answer.text
    return answer.json()


def two_cases(world: World) -> tuple[int, int]:
    first = world.building()
    second = world.report("worker-gw", *world.inside("110102020"), category="E0401")
    world.fan_out()
    return first, second


def read_marks(world: World) -> list[object]:
    world.api.session.expire_all()
    return list(world.api.session.scalars(select(Notification.read_at)))


def test_the_inbox_lists_the_callers_notifications_newest_first(world: World) -> None:
    first, second = two_cases(world)
    mine = inbox(world, "gw")
    assert [n["case_id"] for n in mine["notifications"]] == [second, first]
    assert mine["unread"] == 2
    top = mine["notifications"][0]
    assert top["kind"] == "case:new" and top["text"] == f"新案件 {second} 待受理"
    assert top["read"] is False and top["read_at"] is None and top["at"]
    assert [n["case_id"] for n in inbox(world, "tpq")["notifications"]] == [first]
    assert inbox(world, "xc-cgzf") == {"notifications": [], "unread": 0}
    assert len(inbox(world, "gw", "?limit=1")["notifications"]) == 1


def test_reading_one_then_all(world: World) -> None:
    first, _ = two_cases(world)
    newest = inbox(world, "gw")["notifications"][0]
    answer = world.api.call("POST", f"/api/notifications/{newest['id']}/read", "gw")
    assert answer.status_code == 200 and answer.json()["read"] is True
    read_at = answer.json()["read_at"]
    again = world.api.call("POST", f"/api/notifications/{newest['id']}/read", "gw")
    assert again.json()["read_at"] == read_at  # the first reading stays
    unread = inbox(world, "gw", "?unread=true")
    assert [n["case_id"] for n in unread["notifications"]] == [first] and unread["unread"] == 1
    done = world.api.call("POST", "/api/notifications/read-all", "gw")
    assert done.status_code == 200 and done.json() == {"marked": 1, "unread": 0}
    assert inbox(world, "gw", "?unread=true") == {"notifications": [], "unread": 0}
    assert inbox(world, "tpq")["unread"] == 1  # another user's inbox is untouched


def test_another_users_notification_is_not_found_and_stays_unread(world: World) -> None:
    two_cases(world)
    theirs = inbox(world, "tpq")["notifications"][0]["id"]
    problem(
        world.api.call("POST", f"/api/notifications/{theirs}/read", "gw"), 404, "notification_id"
    )
    problem(world.api.call("POST", "/api/notifications/2147483647/read", "gw"), 404)
    assert all(mark is None for mark in read_marks(world))


@pytest.mark.parametrize(
    ("method", "url", "field"),
    [
        ("GET", "/api/notifications?limit=0", "limit"),
        ("GET", "/api/notifications?limit=201", "limit"),
        ("GET", "/api/notifications?unread=perhaps", "unread"),
        ("GET", "/api/notifications?limit=1&limit=2", "limit"),
        ("POST", "/api/notifications/0/read", "notification_id"),
        ("POST", "/api/notifications/abc/read", "notification_id"),
        ("POST", "/api/notifications/2147483648/read", "notification_id"),
    ],
)
def test_malformed_requests_are_refused_and_write_nothing(
    world: World, method: str, url: str, field: str
) -> None:
    two_cases(world)
    problem(world.api.call(method, url, "gw"), 422, field)
    assert all(mark is None for mark in read_marks(world))


@pytest.mark.parametrize(
    ("method", "url"),
    [
        ("GET", "/api/notifications"),
        ("POST", "/api/notifications/1/read"),
        ("POST", "/api/notifications/read-all"),
    ],
)
def test_without_a_token_nothing_is_read_or_written(world: World, method: str, url: str) -> None:
    two_cases(world)
    problem(world.api.call(method, url, None), 401, "authorization")
    assert all(mark is None for mark in read_marks(world))
