"""A world for the notification and webhook tests: the rolled-back ``api`` client with two
street-and-alley chiefs, and helpers to report, act and fan out."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import func, select, text

from api.auth.models import User
from api.auth.roles import Role
from api.auth.service import create_user, issue_token
from api.notifications.fanout import fan_out
from api.notifications.models import Notification
from tests.api.support import BUILDING, Api

NOW = datetime(2026, 6, 3, 10, 0, tzinfo=UTC)
CHIEF, OTHER_CHIEF = "C110102020-01", "C110102020-02"


@dataclass
class World:
    api: Api

    def user_id(self, name: str) -> int:
        found = self.api.session.scalar(select(User.id).where(User.username == f"t-{name}"))
        assert found is not None, name
        return found

    def report(self, user: str, lon: float, lat: float, category: str = "E0303") -> int:
        """A pin reported by ``user``: its case."""
        return self.submit(user, {"type": "Point", "coordinates": [lon, lat]}, category)

    def building(self, user: str = "worker-gw") -> int:
        """The building astride 广外 and 太平桥 reported by ``user``: a joint case."""
        return self.submit(user, BUILDING, "E0303")

    def submit(self, user: str, geometry: dict, category: str) -> int:
        answer = self.api.call(
            "POST",
            "/api/reports",
            user,
            headers={"Idempotency-Key": uuid.uuid4().hex},
            json={"geometry": geometry, "category": category},
        )
        assert answer.status_code == 201, answer.text
        return int(answer.json()["case_id"])

    def act(self, method: str, url: str, user: str, **kwargs: object) -> dict:
        answer = self.api.call(method, url, user, **kwargs)
        assert answer.status_code == 200, answer.text
        return answer.json()

    def fan_out(self) -> list[int]:
        taken: list[int] = []
        while batch := fan_out(session=self.api.session, now=NOW):
            taken += batch
        return taken

    def texts(self, name: str, case_id: int) -> list[str]:
        """What a user was told of a case, oldest first."""
        return list(
            self.api.session.scalars(
                select(Notification.text)
                .where(Notification.user_id == self.user_id(name), Notification.case_id == case_id)
                .order_by(Notification.id)
            )
        )

    def point_on_road_of(self, chief_ref: str) -> tuple[float, float]:
        """The middle of the chief's longest road."""
        lon, lat = self.api.session.execute(
            text(
                "SELECT ST_X(p), ST_Y(p) FROM (SELECT ST_LineInterpolatePoint("
                "ST_GeometryN(geom, 1), 0.5) AS p FROM roads WHERE chief_ref = :r "
                "ORDER BY ST_Length(geom) DESC LIMIT 1) s"
            ),
            {"r": chief_ref},
        ).one()
        return float(lon), float(lat)

    def inside(self, street: str) -> tuple[float, float]:
        """A point well inside a street."""
        lon, lat = self.api.session.execute(
            text(
                "SELECT ST_X(p), ST_Y(p) FROM (SELECT ST_PointOnSurface(geom) AS p FROM areas "
                "WHERE level = 'street' AND code = :c ORDER BY generation_high DESC LIMIT 1) s"
            ),
            {"c": street},
        ).one()
        return float(lon), float(lat)

    def count(self) -> int:
        return self.api.session.scalar(select(func.count()).select_from(Notification)) or 0


def make_world(api: Api) -> World:
    """The world on ``api``: two chiefs of 广外 with tokens."""
    for ref in (CHIEF, OTHER_CHIEF):
        user = create_user(
            session=api.session, username=f"t-{ref}", role=Role.CHIEF, jurisdiction=ref
        )
        api.tokens[ref] = issue_token(session=api.session, user=user)
    return World(api)
