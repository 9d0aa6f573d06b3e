"""Webhook deliveries against a local receiver that fails the first attempts: every event
delivered once per idempotency key, in order per case, with exponential backoff on the
clock passed in; dead after the last attempt; replayed on request."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator
from datetime import datetime, timedelta

import httpx
import pytest
from sqlalchemy import select

from api.cases.models import CaseEvent
from api.errors import InvalidInput
from api.webhooks import service
from api.webhooks.deliver import Policy, Sent, deliver_due
from api.webhooks.models import Delivery, Subscription
from tests.api.notifications.world import NOW, World
from tests.api.webhooks.receiver import Receiver, receiving

SECRET = "a-secret-of-the-12345-system"
GW = "110102020"


@pytest.fixture
def http() -> Iterator[httpx.Client]:
    with httpx.Client() as client:
        yield client


def subscribe(world: World, receiver: Receiver, **options: object) -> Subscription:
    fields: dict = {"scope": "street", "code": GW, "kinds": [], **options}
    return service.add(session=world.api.session, url=receiver.url, secret=SECRET, **fields)


def deliveries(world: World, subscription: Subscription) -> list[Delivery]:
    world.api.session.expire_all()
    return list(
        world.api.session.scalars(
            select(Delivery)
            .where(Delivery.subscription_id == subscription.id)
            .order_by(Delivery.event_id)
        )
    )


def drive(world: World, http: httpx.Client, policy: Policy, start: datetime) -> datetime:
    """Deliver until nothing is pending, moving the clock to the next retry each time (a
    delivery waiting for an earlier event of its case is due already, but not sent)."""
    now = start
    for _ in range(200):
        sent = deliver_due(session=world.api.session, client=http, now=now, policy=policy)
        if sent.total:
            continue
        waiting = world.api.session.scalar(
            select(Delivery.next_attempt_at)
            .where(Delivery.status == "pending", Delivery.next_attempt_at > now)
            .order_by(Delivery.next_attempt_at)
            .limit(1)
        )
        if waiting is None:
            return now
        now = waiting
    raise AssertionError("deliveries never settled")


def two_cases(world: World) -> tuple[int, int]:
    """A joint case whistled and commented on, and a second case of 广外: several events each."""
    joint = world.building()
    world.act("POST", f"/api/cases/{joint}/whistle", "gw", json={})
    world.act("POST", f"/api/cases/{joint}/comments", "tpq", json={"text": "太平桥已知悉"})
    other = world.report("worker-gw", *world.inside(GW), category="E0401")
    world.fan_out()
    return joint, other


def test_retries_back_off_and_each_event_arrives_once_in_order(
    world: World, http: httpx.Client
) -> None:
    policy = Policy(max_attempts=5, backoff_s=30, backoff_max_s=600, timeout_s=5)
    with receiving(SECRET, fail_first=2) as receiver:
        subscription = subscribe(world, receiver)
        joint, other = two_cases(world)
        owed = deliveries(world, subscription)
        assert {d.case_id for d in owed} == {joint, other} and len(owed) >= 5

        # the first round tries only the first event of each case, and both fail
        first = deliver_due(session=world.api.session, client=http, now=NOW, policy=policy)
        assert first == Sent(retrying=2)
        tried = [d for d in deliveries(world, subscription) if d.attempts]
        assert len(tried) == 2 and {d.case_id for d in tried} == {joint, other}
        assert all(d.next_attempt_at == NOW + timedelta(seconds=30) for d in tried)
        # nothing is due a second early; the second failure doubles the wait
        early = NOW + timedelta(seconds=29)
        assert (
            deliver_due(session=world.api.session, client=http, now=early, policy=policy).total == 0
        )
        later = NOW + timedelta(seconds=30)
        assert deliver_due(
            session=world.api.session, client=http, now=later, policy=policy
        ) == Sent(retrying=2)
        assert {d.next_attempt_at for d in deliveries(world, subscription) if d.attempts} == {
            later + timedelta(seconds=60)
        }

        drive(world, http, policy, later)

    done = deliveries(world, subscription)
    assert all(d.status == "delivered" and d.attempts == 3 for d in done)
    keys = receiver.keys()
    assert sorted(keys) == sorted(f"{d.event_id}-{subscription.id}" for d in done)
    assert len(keys) == len(set(keys))  # once per idempotency key
    by_case: dict[int, list[int]] = defaultdict(list)
    for seen in receiver.accepted:
        by_case[seen["case_id"]].append(seen["id"])
        assert seen["idempotency_key"] == seen["key"] and seen["kind_header"] == seen["kind"]
    assert all(ids == sorted(ids) for ids in by_case.values())
    assert by_case[joint][:2] == sorted(d.event_id for d in done if d.case_id == joint)[:2]
    assert receiver.bad_signatures == 0


def test_dead_after_the_last_attempt_then_replayed(world: World, http: httpx.Client) -> None:
    policy = Policy(max_attempts=3, backoff_s=10, backoff_max_s=60, timeout_s=5)
    with receiving(SECRET, down=True) as receiver:
        subscription = subscribe(world, receiver)
        case_id = world.building()
        world.fan_out()
        end = drive(world, http, policy, NOW)
        dead = deliveries(world, subscription)
        assert [d.status for d in dead] == ["dead", "dead"]  # case:new, report:received
        assert all(d.attempts == 3 and d.last_error == "HTTP 503" for d in dead)
        assert receiver.accepted == [] and set(receiver.attempts.values()) == {3}
        # the second event waited for the first: its attempts began when the first died
        first_last, second_last = dead[0].last_attempt_at, dead[1].last_attempt_at
        assert first_last is not None and second_last is not None and second_last > first_last
        assert end == NOW + timedelta(seconds=10 + 20 + 10 + 20)

        receiver.down = False
        assert service.replay(session=world.api.session, now=end, dead=True, since=None) == 2
        drive(world, http, policy, end)

    again = deliveries(world, subscription)
    assert [d.status for d in again] == ["delivered", "delivered"]
    assert receiver.keys() == [f"{d.event_id}-{subscription.id}" for d in again]
    assert {a["case_id"] for a in receiver.accepted} == {case_id}


def test_replay_since_resends_delivered_events_with_the_same_key(
    world: World, http: httpx.Client
) -> None:
    policy = Policy(max_attempts=3, backoff_s=10)
    with receiving(SECRET) as receiver:
        subscribe(world, receiver)
        world.building()
        world.fan_out()
        drive(world, http, policy, NOW)
        first = receiver.keys()
        with pytest.raises(InvalidInput):  # neither the dead ones nor since when: which?
            service.replay(session=world.api.session, now=NOW, dead=False, since=None)
        count = service.replay(
            session=world.api.session, now=NOW, dead=False, since=NOW - timedelta(days=36500)
        )
        assert count == len(first)
        drive(world, http, policy, NOW)
    assert receiver.keys() == first + first  # the receiver sees the same keys again


def test_a_subscription_hears_the_cases_its_unit_may_see_of_the_kinds_it_chose(
    world: World,
) -> None:
    with receiving(SECRET) as receiver:
        street = subscribe(world, receiver, kinds=["case:new"])
        department = subscribe(world, receiver, scope="department", code="110106-cgzf")
        fengtai = subscribe(world, receiver, scope="district", code="110106", kinds=["case:*"])
        dongcheng = subscribe(world, receiver, scope="district", code="110101")
        joint, other = two_cases(world)

    def kinds(subscription: Subscription) -> list[tuple[int, str]]:
        rows = world.api.session.execute(
            select(Delivery.case_id, Delivery.event_id).where(
                Delivery.subscription_id == subscription.id
            )
        ).all()
        found = []
        for case_id, event_id in sorted(rows, key=lambda r: r[1]):
            event = world.api.session.get(CaseEvent, event_id)
            assert event is not None
            found.append((case_id, event.kind))
        return found

    assert kinds(street) == [(joint, "case:new"), (other, "case:new")]
    # the department sees the joint case from its whistle on (it is assigned then)
    assert (joint, "case:whistled") in kinds(department)
    assert all(case == joint for case, _ in kinds(department))
    assert kinds(fengtai) == [(joint, "case:new"), (joint, "case:whistled")]
    assert kinds(dongcheng) == []


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"scope": "city"}, "scope"),
        ({"scope": "department", "code": "110102-nope"}, "code"),
        ({"code": "11010202"}, "code"),
        ({"scope": "district", "code": "1101020"}, "code"),
        ({"url": "ftp://example.org/hook"}, "url"),
        ({"url": "http:///no-host"}, "url"),
        ({"kinds": ["case:new", "DROP TABLE"]}, "kinds"),
        ({"secret": "short"}, "secret"),
    ],
)
def test_a_bad_subscription_is_refused_and_nothing_is_written(
    world: World, change: dict, field: str
) -> None:
    fields = {"scope": "street", "code": GW, "url": "https://sms.example/hook", "kinds": []}
    with pytest.raises(InvalidInput) as refused:
        service.add(session=world.api.session, **{**fields, **change})
    assert refused.value.field == field
    assert world.api.session.scalars(select(Subscription)).all() == []
