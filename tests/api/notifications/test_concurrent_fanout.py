"""Two fan-out consumers at once, on committed events: each event is taken by one of them
and told once."""

from __future__ import annotations

import threading
import uuid

from sqlalchemy import delete, func, select, text
from sqlalchemy.orm import Session

from api.auth.models import User
from api.auth.roles import Role
from api.auth.service import create_user
from api.cases.models import CaseEvent
from api.db.session import session_factory
from api.notifications.fanout import fan_out
from api.notifications.models import Notification
from tests.api.notifications.world import NOW
from tests.api.served import Served
from tests.api.support import BUILDING


def test_two_consumers_take_disjoint_events_and_tell_each_once(served: Served) -> None:
    with Session(served.engine) as session:
        street = create_user(
            session=session,
            username=f"fan-{uuid.uuid4().hex[:6]}",
            role=Role.STREET,
            jurisdiction="110102020",
        )
        session.commit()
        street_id = street.id
    try:
        before = _newest(served)
        pin = {"geometry": {"type": "Point", "coordinates": _inside(served, "110102020")}}
        for _ in range(4):  # two cases, four reports each: 1 + 1 + 3 events per case
            for body in ({"geometry": BUILDING}, pin):
                answer = served.post(
                    "worker-gw", {**body, "category": "E0303"}, key=uuid.uuid4().hex
                )
                assert answer.status_code == 201, answer.text
        ours = _events_after(served, before)
        assert len(ours) == 10

        factory = session_factory(served.engine)
        slow: list[int] = []
        fast: list[int] = []
        took = threading.Event()

        def first_consumer() -> None:
            with factory() as session:
                slow.extend(fan_out(session=session, now=NOW, limit=5))
                took.set()
                session.execute(text("SELECT pg_sleep(0.5)"))  # holds its rows meanwhile
                session.commit()

        def second_consumer() -> None:
            took.wait(10)
            while True:
                with factory() as session:
                    batch = fan_out(session=session, now=NOW, limit=3)
                    session.commit()
                if not batch:
                    return
                fast.extend(batch)

        threads = [
            threading.Thread(target=first_consumer),
            threading.Thread(target=second_consumer),
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(30)
        assert len(slow) == 5 and fast
        assert not set(slow) & set(fast)
        assert set(ours) <= set(slow) | set(fast)
        with Session(served.engine) as session:
            told = session.scalars(
                select(Notification.event_id).where(Notification.user_id == street_id)
            ).all()
            new_cases = session.scalars(
                select(CaseEvent.id).where(CaseEvent.id.in_(ours), CaseEvent.kind == "case:new")
            ).all()
        assert sorted(told) == sorted(new_cases) and len(new_cases) == 2
    finally:
        with served.engine.begin() as conn:
            conn.execute(delete(User).where(User.id == street_id))


def _inside(served: Served, street: str) -> list[float]:
    with Session(served.engine) as session:
        lon, lat = session.execute(
            text(
                "SELECT ST_X(p), ST_Y(p) FROM (SELECT ST_PointOnSurface(geom) AS p FROM areas "
                "WHERE level = 'street' AND code = :c ORDER BY generation_high DESC LIMIT 1) s"
            ),
            {"c": street},
        ).one()
    return [float(lon), float(lat)]


def _newest(served: Served) -> int:
    with Session(served.engine) as session:
        return int(session.scalar(select(func.max(CaseEvent.id))) or 0)


def _events_after(served: Served, after: int) -> list[int]:
    with Session(served.engine) as session:
        return list(session.scalars(select(CaseEvent.id).where(CaseEvent.id > after)))
