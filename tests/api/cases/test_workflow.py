"""The workflow tables (pure): guarded moves, and the actions each role may take from each
state — escalation among them."""

from __future__ import annotations

import pytest

from api.auth.roles import Actor, CaseScope, Role
from api.cases.workflow import (
    CASE_ACTIONS,
    CASE_TRANSITIONS,
    AssignmentAction,
    AssignmentFacts,
    AssignmentStatus,
    CaseAction,
    CaseFacts,
    CaseStatus,
    Guard,
    IllegalTransition,
    assignment_actions,
    case_actions,
    case_refusal,
    check_case,
)
from api.errors import Forbidden

SCOPE = CaseScope(
    community="110102020001",
    streets=("110102020", "110106002"),
    departments=frozenset({"110102-cgzf"}),
    reporters=frozenset({7}),
)
DISTRICT = Actor(1, Role.DISTRICT, "110102")
STREET = Actor(2, Role.STREET, "110102020")
PARTNER = Actor(3, Role.STREET, "110106002")
OTHER_DISTRICT = Actor(4, Role.DISTRICT, "110101")
DEPARTMENT = Actor(5, Role.DEPARTMENT, "110102-cgzf")


def facts(status: CaseStatus, met: frozenset[Guard] = frozenset()) -> CaseFacts:
    return CaseFacts(id=1, status=status, scope=SCOPE, met=met)


def test_a_whistled_case_is_whistled_again_only_by_an_escalation() -> None:
    with pytest.raises(IllegalTransition) as refused:
        check_case(CaseStatus.WHISTLED, CaseStatus.WHISTLED)
    assert refused.value.field == "status" and "escalat" in refused.value.detail
    check_case(CaseStatus.WHISTLED, CaseStatus.WHISTLED, frozenset({Guard.ESCALATION}))


@pytest.mark.parametrize("status", list(CaseStatus))
def test_a_district_of_the_case_escalates_a_case_not_yet_resolved(status: CaseStatus) -> None:
    may = status in (CaseStatus.NEW, CaseStatus.WHISTLED, CaseStatus.DISPUTED)
    refusal = case_refusal(CaseAction.ESCALATE, DISTRICT, facts(status))
    assert (refusal is None) == may
    if not may:
        assert isinstance(refusal, IllegalTransition) and refusal.field == "status"
    for someone in (STREET, PARTNER, OTHER_DISTRICT, DEPARTMENT):
        forbidden = case_refusal(CaseAction.ESCALATE, someone, facts(status))
        assert isinstance(forbidden, Forbidden) and forbidden.field == "authorization"


def test_every_action_moves_along_the_transition_table() -> None:
    for action, rule in CASE_ACTIONS.items():
        for old, new in (rule.moves or {}).items():
            assert new in CASE_TRANSITIONS[old], (action, old, new)


def test_a_hotline_case_is_not_evaluated_the_call_back_closes_it() -> None:
    settled = frozenset({Guard.CALLBACK_SETTLED})
    assert CaseAction.EVALUATE in case_actions(STREET, facts(CaseStatus.VERIFIED, settled))
    refusal = case_refusal(CaseAction.EVALUATE, STREET, facts(CaseStatus.VERIFIED))
    assert isinstance(refusal, IllegalTransition) and "call-back" in refusal.detail


def test_the_lead_street_and_a_partner_street_may_do_different_things() -> None:
    assert case_actions(STREET, facts(CaseStatus.NEW)) == [
        CaseAction.RESOLVE,
        CaseAction.REJECT,
        CaseAction.MERGE,
        CaseAction.WHISTLE,
        CaseAction.COMMENT,
    ]
    assert case_actions(PARTNER, facts(CaseStatus.NEW)) == [CaseAction.COMMENT]
    assert case_actions(STREET, facts(CaseStatus.DISPUTED)) == [
        CaseAction.RESOLVE,
        CaseAction.REJECT,
        CaseAction.REROUTE,
        CaseAction.COMMENT,
    ]


def test_a_department_acts_on_its_own_assignment_in_its_state() -> None:
    def assignment(
        code: str, status: AssignmentStatus, pending: int | None = None
    ) -> AssignmentFacts:
        return AssignmentFacts(
            id=9,
            department_code=code,
            status=status,
            case=facts(CaseStatus.WHISTLED),
            pending_extension=pending,
        )

    mine = assignment("110102-cgzf", AssignmentStatus.DISPATCHED)
    assert assignment_actions(DEPARTMENT, mine) == [
        AssignmentAction.ACKNOWLEDGE,
        AssignmentAction.ARRIVE,
        AssignmentAction.DISPUTE,
    ]
    assert (
        assignment_actions(DEPARTMENT, assignment("110106-cgzf", AssignmentStatus.DISPATCHED)) == []
    )
    waiting = assignment("110102-cgzf", AssignmentStatus.ON_SITE, pending=3)
    assert assignment_actions(DEPARTMENT, waiting) == [AssignmentAction.RESOLVE]
    assert assignment_actions(STREET, waiting) == [AssignmentAction.DECIDE_EXTENSION]
    assert assignment_actions(PARTNER, waiting) == []
