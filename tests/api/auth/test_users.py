"""Creating users: a chief's jurisdiction is the ref of a chief of the active generation."""

from __future__ import annotations

import pytest
from sqlalchemy.orm import Session

from api.auth.demo import DEMO_USERS, seed_demo_users
from api.auth.models import User
from api.auth.roles import Role
from api.auth.service import create_user
from api.errors import InvalidInput


def test_a_chief_of_the_demo_city_becomes_a_user(demo_session: Session) -> None:
    user = create_user(
        session=demo_session, username="c-gw", role=Role.CHIEF, jurisdiction="C110102020-01"
    )
    assert (user.role, user.jurisdiction) == ("chief", "C110102020-01")
    demo_session.flush()  # the database's role check accepts the role


@pytest.mark.parametrize(
    ("jurisdiction", "reason"),
    [
        (None, "needs the chief's ref"),
        ("110102020", "needs the chief's ref"),
        ("C110102020", "needs the chief's ref"),
        ("C110102020-99", "no street-and-alley chief C110102020-99"),
        ("C999999999-01", "no street-and-alley chief C999999999-01"),
    ],
)
def test_a_chief_needs_the_ref_of_a_chief_in_force(
    demo_session: Session, jurisdiction: str | None, reason: str
) -> None:
    with pytest.raises(InvalidInput, match=reason) as refused:
        create_user(
            session=demo_session, username="c-x", role=Role.CHIEF, jurisdiction=jurisdiction
        )
    assert refused.value.status == 422 and refused.value.field == "jurisdiction"


def test_the_demo_has_named_chief_users(demo_session: Session) -> None:
    created = seed_demo_users(session=demo_session, password="demo-password")
    chiefs = {name: ref for name, _, role, ref in DEMO_USERS if role is Role.CHIEF}
    assert set(chiefs) == {"chief-gw-01", "chief-gw-02", "chief-tpq-01"}
    assert set(chiefs) <= set(created)
    stored = {u.username: u.jurisdiction for u in demo_session.query(User).filter_by(role="chief")}
    assert stored == chiefs
