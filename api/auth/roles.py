"""Roles and what each may do where (pure: no database, no HTTP).

A user has one role and one jurisdiction code: a community (12 digits) for community staff
and grid workers, a street (9) for a street command centre, a district (6) for a district
command centre, a department code (e.g. ``110102-cgzf``) for department staff; analysts and
administrators may have none (city-wide); a street-and-alley chief (街巷长) has the chief's
ref, ``C`` + the 9-digit street code + ``-`` + a number (e.g. ``C110102020-01``); a
12345 call-taker (hotline) has none and takes calls city-wide. A case's
scope lists its community, its streets (lead first, then partners), its districts, the
departments assigned to it and its reporters.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from enum import StrEnum

CHIEF_REF = re.compile(r"^C(\d{9})-\d{1,4}$")


class Role(StrEnum):
    GRID_WORKER = "grid_worker"
    COMMUNITY = "community"
    STREET = "street"
    DISTRICT = "district"
    DEPARTMENT = "department"
    ANALYST = "analyst"
    ADMIN = "admin"
    CHIEF = "chief"
    HOTLINE = "hotline"  # the 12345 centre: city-wide intake, no triage


class Action(StrEnum):
    VIEW = "view"
    REPORT = "report"
    TRIAGE = "triage"  # resolve locally, reject, merge, blow a whistle, re-route after a dispute
    COMMENT = "comment"
    APPROVE_EXTENSION = "approve_extension"
    VERIFY = "verify"
    EVALUATE = "evaluate"
    ESCALATE = "escalate"
    DEPARTMENT_DUTY = "department_duty"  # acknowledge, on site, resolve, extension, dispute


# the roles that report (whose own reports are theirs to follow, /api/reports/mine); analysts
# and departments never report
REPORTING_ROLES = frozenset(
    {
        Role.GRID_WORKER,
        Role.CHIEF,
        Role.COMMUNITY,
        Role.STREET,
        Role.DISTRICT,
        Role.ADMIN,
        Role.HOTLINE,
    }
)


@dataclass(frozen=True)
class Actor:
    """Who acts: id, role, jurisdiction code."""

    id: int
    role: Role
    jurisdiction: str | None
    name: str = ""


@dataclass(frozen=True)
class CaseScope:
    """Where a case lies and who is involved in it."""

    community: str | None
    streets: tuple[str, ...]  # lead street first
    departments: frozenset[str] = field(default_factory=frozenset)
    reporters: frozenset[int] = field(default_factory=frozenset)

    @property
    def lead_street(self) -> str | None:
        """The lead street's code."""
        return self.streets[0] if self.streets else None

    @property
    def districts(self) -> frozenset[str]:
        """District codes of the case's streets."""
        return frozenset(s[:6] for s in self.streets)


def chief_street(ref: str | None) -> str | None:
    """The street code inside a chief's ref, None when ``ref`` is not a chief's ref.

    >>> chief_street("C110102020-01")
    '110102020'
    >>> chief_street("110102020") is None
    True
    """
    found = CHIEF_REF.match(ref or "")
    return found.group(1) if found else None


def home_street(actor: Actor) -> str | None:
    """The street an actor works in (a grid worker's, community's, street's or chief's), the
    street that received what the actor reports; None for roles above or beside streets.

    >>> home_street(Actor(1, Role.GRID_WORKER, "110102020007"))
    '110102020'
    >>> home_street(Actor(2, Role.CHIEF, "C110106002-03"))
    '110106002'
    >>> home_street(Actor(3, Role.HOTLINE, None)) is None
    True
    """
    j = actor.jurisdiction
    if actor.role is Role.CHIEF:
        return chief_street(j)
    if actor.role in (Role.GRID_WORKER, Role.COMMUNITY, Role.STREET) and j and len(j) >= 9:
        return j[:9]
    return None


def _within(jurisdiction: str | None, code: str | None) -> bool:
    return jurisdiction is not None and code is not None and code.startswith(jurisdiction)


def on_duty(actor: Actor, department_code: str) -> bool:
    """Whether ``actor`` acts for a department on its own assignments: the department's staff,
    or an administrator.

    >>> on_duty(Actor(1, Role.DEPARTMENT, "110102-cgzf"), "110102-cgzf")
    True
    >>> on_duty(Actor(2, Role.DEPARTMENT, "110106-cgzf"), "110102-cgzf")
    False
    """
    if actor.role is Role.ADMIN:
        return True
    return actor.role is Role.DEPARTMENT and actor.jurisdiction == department_code


def allowed(actor: Actor, action: Action, scope: CaseScope) -> bool:
    """Whether ``actor`` may do ``action`` on a case with ``scope``."""
    j = actor.jurisdiction
    match actor.role:
        case Role.ADMIN:
            return True
        case Role.ANALYST:
            return action is Action.VIEW and (
                j is None or any(_within(j, s) for s in scope.streets)
            )
        case Role.GRID_WORKER:
            touches = any(_within(j, s) or _within(s, j) for s in scope.streets)
            reporter = actor.id in scope.reporters
            if action is Action.REPORT:
                return touches
            return action in (Action.VIEW, Action.EVALUATE) and reporter
        case Role.COMMUNITY:
            if action is Action.REPORT:
                return any(_within(s, j) for s in scope.streets)
            own = _within(j, scope.community)
            return own and action in (
                Action.VIEW,
                Action.REPORT,
                Action.TRIAGE,
                Action.COMMENT,
                Action.VERIFY,
                Action.EVALUATE,
            )
        case Role.STREET:
            lead = j == scope.lead_street
            partner = j in scope.streets
            if action in (Action.VIEW, Action.COMMENT, Action.REPORT):
                return partner
            return lead and action in (
                Action.TRIAGE,
                Action.APPROVE_EXTENSION,
                Action.VERIFY,
                Action.EVALUATE,
            )
        case Role.DISTRICT:
            mine = j in scope.districts
            return mine and action in (Action.VIEW, Action.COMMENT, Action.ESCALATE, Action.REPORT)
        case Role.DEPARTMENT:
            assigned = j in scope.departments
            return assigned and action in (Action.VIEW, Action.COMMENT, Action.DEPARTMENT_DUTY)
        case Role.CHIEF:
            if action is Action.REPORT:
                return chief_street(j) in scope.streets
            return actor.id in scope.reporters and action in (Action.VIEW, Action.COMMENT)
        case Role.HOTLINE:
            if action is Action.REPORT:
                return True
            return actor.id in scope.reporters and action in (Action.VIEW, Action.COMMENT)
    return False
