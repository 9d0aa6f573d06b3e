"""Demo users of the demo city (development only): one per role around the joint site, and
three street-and-alley chiefs of its two streets (docs/roles.md lists them)."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from api.auth.models import User
from api.auth.roles import Role
from api.auth.service import chief_in_force, create_user

DEMO_USERS: tuple[tuple[str, str, Role, str | None], ...] = (
    ("admin", "管理员", Role.ADMIN, None),
    ("analyst", "分析员", Role.ANALYST, None),
    ("guangwai", "广安门外街道指挥中心", Role.STREET, "110102020"),
    ("taipingqiao", "太平桥街道指挥中心", Role.STREET, "110106002"),
    ("xicheng", "西城区指挥中心", Role.DISTRICT, "110102"),
    ("fengtai", "丰台区指挥中心", Role.DISTRICT, "110106"),
    ("xc-cgzf", "西城区城管执法局", Role.DEPARTMENT, "110102-cgzf"),
    ("ft-cgzf", "丰台区城管执法局", Role.DEPARTMENT, "110106-cgzf"),
    ("xc-ghzy", "规自委西城分局", Role.DEPARTMENT, "110102-ghzy"),
    ("ft-ghzy", "规自委丰台分局", Role.DEPARTMENT, "110106-ghzy"),
    ("worker-gw", "广外网格员", Role.GRID_WORKER, "110102020"),
    ("worker-tpq", "太平桥网格员", Role.GRID_WORKER, "110106002"),
    ("chief-gw-01", "广外街巷长01", Role.CHIEF, "C110102020-01"),
    ("chief-gw-02", "广外街巷长02", Role.CHIEF, "C110102020-02"),
    ("chief-tpq-01", "太平桥街巷长01", Role.CHIEF, "C110106002-01"),
    ("hotline", "12345热线坐席", Role.HOTLINE, None),
)


def seed_demo_users(*, session: Session, password: str) -> list[str]:
    """Create the demo users that do not exist yet; return their usernames (a chief whose
    ref the loaded city does not have is left out)."""
    existing = set(session.scalars(select(User.username)))
    created = []
    for username, name, role, jurisdiction in DEMO_USERS:
        if username in existing:
            continue
        if role is Role.CHIEF and not chief_in_force(session=session, ref=jurisdiction or ""):
            continue
        create_user(
            session=session,
            username=username,
            role=role,
            jurisdiction=jurisdiction,
            display_name=name,
            password=password,
        )
        created.append(username)
    return created
