"""Who acts in a simulation: a user of each role and jurisdiction, the existing one (the
demo users) or a new ``sim-<role>-<code>`` (``sim-hotline``) user without a password."""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.orm import Session

from api.auth.models import User
from api.auth.roles import Actor, Role
from api.auth.service import actor_of, create_user
from api.departments.models import Department
from api.geography.models import Area

SUFFIX = {Role.GRID_WORKER: "网格员", Role.HOTLINE: "12345 热线"}


@dataclass
class Cast:
    """The actors of one run, looked up (or added) once each."""

    session: Session
    known: dict[tuple[Role, str | None], Actor] = field(default_factory=dict)

    def actor(self, role: Role, jurisdiction: str | None) -> Actor:
        """A user of ``role`` over ``jurisdiction`` (None: city-wide): the first existing
        one, else a new one."""
        found = self.known.get((role, jurisdiction))
        if found is not None:
            return found
        where = (
            User.jurisdiction.is_(None)
            if jurisdiction is None
            else User.jurisdiction == jurisdiction
        )
        user = self.session.scalar(
            select(User).where(User.role == str(role), where).order_by(User.id).limit(1)
        )
        if user is None:
            user = create_user(
                session=self.session,
                username="-".join(["sim", str(role), *([jurisdiction] if jurisdiction else [])]),
                role=role,
                jurisdiction=jurisdiction,
                display_name=self._name(role, jurisdiction),
            )
        self.known[(role, jurisdiction)] = actor_of(user)
        return self.known[(role, jurisdiction)]

    def forget(self) -> None:
        """Forget every actor (after a rolled-back act, whose new users are gone too)."""
        self.known.clear()

    def _name(self, role: Role, code: str | None) -> str:
        if code is None:
            return SUFFIX.get(role, str(role))
        if role is Role.DEPARTMENT:
            name = self.session.scalar(select(Department.name).where(Department.code == code))
        else:
            name = self.session.scalar(select(Area.name).where(Area.code == code).limit(1))
        return f"{name or code}{SUFFIX.get(role, '')}"
