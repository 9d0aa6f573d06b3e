"""The pages link each user to the hot spot map of the user's own area: the server names it
(``map_url`` of ``/api/auth/me``) only when the role may open it."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from api.auth.roles import Role
from api.geography.models import Chief
from tests.api.maps.conftest import app_on
from tests.api.support import issue_tokens

STREET = "110102020"  # 广安门外街道
OTHER_STREET = "110106002"  # 太平桥街道 (丰台)


@pytest.fixture
def client(demo_db_url: str, demo_session: Session) -> Iterator[TestClient]:
    with TestClient(app_on(demo_db_url, demo_session)) as c:
        yield c


def test_each_role_is_linked_to_the_map_it_may_open_and_no_other(
    client: TestClient, demo_session: Session
) -> None:
    chief = demo_session.scalars(
        select(Chief.ref).where(Chief.street_code == STREET).order_by(Chief.ref)
    ).first()
    assert chief is not None
    users = {
        "chief": (Role.CHIEF, chief),
        "street": (Role.STREET, STREET),
        "community": (Role.COMMUNITY, f"{STREET}001"),
        "district": (Role.DISTRICT, "110102"),
        "analyst": (Role.ANALYST, None),
        "analyst-xicheng": (Role.ANALYST, "110102"),
        "admin": (Role.ADMIN, None),
        "department": (Role.DEPARTMENT, "110102-cgzf"),
        "worker": (Role.GRID_WORKER, STREET),
        "hotline": (Role.HOTLINE, None),
    }
    expected = {
        "chief": f"/maps/chief/{chief}",
        "street": f"/maps/street/{STREET}",
        "community": f"/maps/street/{STREET}",
        "district": "/maps/district/110102",
        "analyst": "/maps/hotspots",
        "analyst-xicheng": "/maps/district/110102",
        "admin": "/maps/hotspots",
        "department": None,
        "worker": None,
        "hotline": None,
    }
    tokens = issue_tokens(demo_session, users)
    for name, token in tokens.items():
        headers = {"Authorization": f"Bearer {token}"}
        me = client.get("/api/auth/me", headers=headers).json()
        assert me["map_url"] == expected[name], name
        if me["map_url"] is not None:  # a link the role may follow
            assert client.get(me["map_url"], headers=headers).status_code == 200, name
        else:  # a role without a link sees no hot spot map of its own area either
            assert client.get(f"/maps/street/{STREET}", headers=headers).status_code == 403
            assert client.get(f"/maps/chief/{chief}", headers=headers).status_code == 403
    # another street's chief map stays closed to a chief and to this street
    other = demo_session.scalars(
        select(Chief.ref).where(Chief.street_code == OTHER_STREET).order_by(Chief.ref)
    ).first()
    for name in ("chief", "street"):
        headers = {"Authorization": f"Bearer {tokens[name]}"}
        assert client.get(f"/maps/chief/{other}", headers=headers).status_code == 403
