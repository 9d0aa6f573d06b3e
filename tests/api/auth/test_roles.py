"""The role × action matrix of the jurisdiction policy, including every refusal."""

from __future__ import annotations

import pytest

from api.auth.roles import Action, Actor, CaseScope, Role, allowed, chief_street

# a joint case: lead street 广外 (西城), partner 太平桥 (丰台), in a 广外 community,
# assigned to both districts' 城管执法, reported by users 7 (a grid worker), 17 (a chief)
# and 21 (a 12345 call-taker)
SCOPE = CaseScope(
    community="110102020001",
    streets=("110102020", "110106002"),
    departments=frozenset({"110102-cgzf", "110106-cgzf"}),
    reporters=frozenset({7, 17, 21}),
)

A = Action
ALL = set(Action)
ACTORS: dict[str, tuple[Actor, set[Action]]] = {
    "admin": (Actor(1, Role.ADMIN, None), ALL),
    "analyst (city)": (Actor(2, Role.ANALYST, None), {A.VIEW}),
    "analyst (东城)": (Actor(3, Role.ANALYST, "110101"), set()),
    "lead street": (
        Actor(4, Role.STREET, "110102020"),
        {A.VIEW, A.COMMENT, A.REPORT, A.TRIAGE, A.APPROVE_EXTENSION, A.VERIFY, A.EVALUATE},
    ),
    "partner street": (Actor(5, Role.STREET, "110106002"), {A.VIEW, A.COMMENT, A.REPORT}),
    "other street": (Actor(6, Role.STREET, "110102001"), set()),
    "reporting grid worker": (
        Actor(7, Role.GRID_WORKER, "110102020"),
        {A.VIEW, A.EVALUATE, A.REPORT},
    ),
    "other grid worker, same street": (Actor(8, Role.GRID_WORKER, "110102020"), {A.REPORT}),
    "grid worker elsewhere": (Actor(9, Role.GRID_WORKER, "110101001"), set()),
    "community": (
        Actor(10, Role.COMMUNITY, "110102020001"),
        {A.VIEW, A.REPORT, A.TRIAGE, A.COMMENT, A.VERIFY, A.EVALUATE},
    ),
    "other community, same street": (Actor(11, Role.COMMUNITY, "110102020002"), {A.REPORT}),
    "lead district": (
        Actor(12, Role.DISTRICT, "110102"),
        {A.VIEW, A.COMMENT, A.ESCALATE, A.REPORT},
    ),
    "partner district": (
        Actor(13, Role.DISTRICT, "110106"),
        {A.VIEW, A.COMMENT, A.ESCALATE, A.REPORT},
    ),
    "other district": (Actor(14, Role.DISTRICT, "110101"), set()),
    "assigned department": (
        Actor(15, Role.DEPARTMENT, "110106-cgzf"),
        {A.VIEW, A.COMMENT, A.DEPARTMENT_DUTY},
    ),
    "unassigned department": (Actor(16, Role.DEPARTMENT, "110102-swj"), set()),
    "reporting chief": (Actor(17, Role.CHIEF, "C110102020-01"), {A.VIEW, A.COMMENT, A.REPORT}),
    "chief of the partner street": (Actor(18, Role.CHIEF, "C110106002-03"), {A.REPORT}),
    "chief elsewhere": (Actor(19, Role.CHIEF, "C110101001-01"), set()),
    "chief with a street code for a ref": (Actor(20, Role.CHIEF, "110102020"), set()),
    # the 12345 centre takes calls city-wide and never triages
    "reporting call-taker": (Actor(21, Role.HOTLINE, None), {A.VIEW, A.COMMENT, A.REPORT}),
    "other call-taker": (Actor(22, Role.HOTLINE, None), {A.REPORT}),
}


@pytest.mark.parametrize("streets", [("110101001",), ("110106002", "110102020"), ()])
def test_a_call_taker_reports_anywhere_and_never_triages(streets: tuple[str, ...]) -> None:
    scope = CaseScope(community=None, streets=streets)
    taker = Actor(30, Role.HOTLINE, None)
    assert allowed(taker, Action.REPORT, scope)
    for action in set(Action) - {Action.REPORT}:
        assert not allowed(taker, action, scope), action


@pytest.mark.parametrize("who", sorted(ACTORS))
@pytest.mark.parametrize("action", sorted(Action))
def test_matrix(who: str, action: Action) -> None:
    actor, may = ACTORS[who]
    assert allowed(actor, action, SCOPE) is (action in may)


@pytest.mark.parametrize(
    ("ref", "street"),
    [
        ("C110102020-01", "110102020"),
        ("C110106002-12", "110106002"),
        ("110102020", None),
        ("C11010202-01", None),
        ("C110102020", None),
        ("C110102020-01x", None),
        ("", None),
        (None, None),
    ],
)
def test_chief_street_reads_only_a_chief_ref(ref: str | None, street: str | None) -> None:
    assert chief_street(ref) == street
