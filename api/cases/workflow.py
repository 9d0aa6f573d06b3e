"""The case and assignment workflows as transition tables (pure).

A case: ``new`` → resolved locally / rejected / merged / whistled; a whistled case may be
``disputed`` (a department says "not ours") and re-routed, then ``resolved`` by its lead
department; the street ``verified`` it (or reopens it) and the reporter or community
evaluates it, which ``closed`` it. A hotline case is closed by its call-back (回访) instead;
a 不满意 call-back the lead street accepts reopens the verified case (重办). Those moves are
guarded: the table names the fact each needs (``CASE_GUARDS``), the service says which hold.
A whistled case is whistled again only when a district escalates it to the city (分级派单):
that move is guarded by the escalation itself.

What an actor may do to a case is the table of actions (``CASE_ACTIONS``): each action needs
a permission of the role model (``api.auth.roles``) and starts from some states, moving the
case along ``CASE_TRANSITIONS``; :func:`case_refusal` says why an actor may not (403, 409),
:func:`case_actions` lists what it may. The routes refuse with the first, the API lists the
second as ``allowed_actions``, so the pages and the routes cannot disagree.

An assignment (one department on one whistle):
``dispatched`` → ``acknowledged`` (签收) → ``on_site`` (报到) → ``resolved``; it may be
``disputed`` before reaching the site, and is ``cancelled`` when the case is re-routed.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from api.auth.roles import Action, Actor, CaseScope, allowed, on_duty
from api.errors import Conflict, DomainError, Forbidden
from api.messages import ASSIGNMENT_STATUS_NAMES, CASE_STATUS_NAMES


class CaseStatus(StrEnum):
    NEW = "new"
    REJECTED = "rejected"
    MERGED = "merged"
    WHISTLED = "whistled"
    DISPUTED = "disputed"
    RESOLVED = "resolved"
    VERIFIED = "verified"
    CLOSED = "closed"


CASE_TRANSITIONS: dict[CaseStatus, frozenset[CaseStatus]] = {
    CaseStatus.NEW: frozenset(
        {CaseStatus.RESOLVED, CaseStatus.REJECTED, CaseStatus.MERGED, CaseStatus.WHISTLED}
    ),
    CaseStatus.WHISTLED: frozenset(
        {CaseStatus.RESOLVED, CaseStatus.DISPUTED, CaseStatus.WHISTLED}  # → whistled: escalation
    ),
    CaseStatus.DISPUTED: frozenset({CaseStatus.WHISTLED, CaseStatus.RESOLVED, CaseStatus.REJECTED}),
    CaseStatus.RESOLVED: frozenset({CaseStatus.VERIFIED, CaseStatus.WHISTLED, CaseStatus.NEW}),
    CaseStatus.VERIFIED: frozenset({CaseStatus.CLOSED, CaseStatus.WHISTLED, CaseStatus.NEW}),
    CaseStatus.REJECTED: frozenset(),
    CaseStatus.MERGED: frozenset(),
    CaseStatus.CLOSED: frozenset(),
}


class Guard(StrEnum):
    """A fact a guarded move needs besides the table."""

    CALLBACK_ACCEPTED = "callback_accepted"  # the lead street accepted a 不满意 call-back
    CALLBACK_SETTLED = "callback_settled"  # no call-back is owed (not a hotline case, or done)
    ESCALATION = "escalation"  # a district sends the case to city departments (分级派单)


CASE_GUARDS: dict[tuple[CaseStatus, CaseStatus], Guard] = {
    (CaseStatus.VERIFIED, CaseStatus.WHISTLED): Guard.CALLBACK_ACCEPTED,  # 重办 by the lead
    (CaseStatus.VERIFIED, CaseStatus.NEW): Guard.CALLBACK_ACCEPTED,  # 重办, resolved locally
    (CaseStatus.VERIFIED, CaseStatus.CLOSED): Guard.CALLBACK_SETTLED,
    (CaseStatus.WHISTLED, CaseStatus.WHISTLED): Guard.ESCALATION,  # city departments take over
}

GUARD_REFUSALS = {
    Guard.CALLBACK_ACCEPTED: "a verified case is reopened only by a 不满意 call-back the lead "
    "street accepts (重办)",
    Guard.CALLBACK_SETTLED: "a hotline case waits for its call-back (回访), which closes it",
    Guard.ESCALATION: "a whistled case is whistled again only when a district escalates it to "
    "the city",
}

GUARD_MESSAGES = {
    Guard.CALLBACK_ACCEPTED: "已核查的案件只有在回访不满意、牵头街道同意重办时才能重新办理",
    Guard.CALLBACK_SETTLED: "12345 热线案件须等回访完成后结案",
    Guard.ESCALATION: "已吹哨的案件只有区级上报市级时才能再次吹哨",
}

OPEN_CASE_STATUSES = frozenset(
    {CaseStatus.NEW, CaseStatus.WHISTLED, CaseStatus.DISPUTED, CaseStatus.RESOLVED}
)


class AssignmentStatus(StrEnum):
    DISPATCHED = "dispatched"
    ACKNOWLEDGED = "acknowledged"
    ON_SITE = "on_site"
    RESOLVED = "resolved"
    DISPUTED = "disputed"
    CANCELLED = "cancelled"


ASSIGNMENT_TRANSITIONS: dict[AssignmentStatus, frozenset[AssignmentStatus]] = {
    AssignmentStatus.DISPATCHED: frozenset(
        {AssignmentStatus.ACKNOWLEDGED, AssignmentStatus.DISPUTED, AssignmentStatus.CANCELLED}
    ),
    AssignmentStatus.ACKNOWLEDGED: frozenset(
        {AssignmentStatus.ON_SITE, AssignmentStatus.DISPUTED, AssignmentStatus.CANCELLED}
    ),
    AssignmentStatus.ON_SITE: frozenset({AssignmentStatus.RESOLVED, AssignmentStatus.CANCELLED}),
    AssignmentStatus.RESOLVED: frozenset({AssignmentStatus.ON_SITE, AssignmentStatus.CANCELLED}),
    AssignmentStatus.DISPUTED: frozenset({AssignmentStatus.CANCELLED}),
    AssignmentStatus.CANCELLED: frozenset(),
}


class IllegalTransition(Conflict):
    """A state change the workflow does not allow (409)."""


def move_refusal(
    old: CaseStatus, new: CaseStatus, met: frozenset[Guard] = frozenset()
) -> IllegalTransition | None:
    """Why ``old`` → ``new`` is not allowed for a case (None: it is): not in the table, or
    its guard is not among the facts ``met``."""
    guard = CASE_GUARDS.get((old, new))
    if new in CASE_TRANSITIONS[old] and guard is not None and guard not in met:
        return IllegalTransition(
            f"a {old} case cannot become {new}: {GUARD_REFUSALS[guard]}",
            field="status",
            message=f"{_case_move(old, new)}：{GUARD_MESSAGES[guard]}",
            current=str(old),
            requested=str(new),
        )
    if new not in CASE_TRANSITIONS[old]:
        allowed = ", ".join(sorted(CASE_TRANSITIONS[old])) or "none (final)"
        return IllegalTransition(
            f"a {old} case cannot become {new}; allowed from {old}: {allowed}",
            field="status",
            message=f"{_case_move(old, new)}{_choices(CASE_TRANSITIONS[old], CASE_STATUS_NAMES)}",
            current=str(old),
            requested=str(new),
        )
    return None


def check_case(old: CaseStatus, new: CaseStatus, met: frozenset[Guard] = frozenset()) -> None:
    """Raise IllegalTransition unless ``old`` → ``new`` is allowed for a case and the move's
    guard, if it has one, is among the facts ``met``."""
    refusal = move_refusal(old, new, met)
    if refusal is not None:
        raise refusal


def _case_move(old: str, new: str) -> str:
    return f"案件{CASE_STATUS_NAMES[old]}，不能改为{CASE_STATUS_NAMES[new]}"


def _choices(allowed: frozenset[Any], names: dict[str, str]) -> str:
    if not allowed:
        return "（已是最终状态）"
    return "；可改为：" + "、".join(names[str(s)] for s in sorted(allowed))


def check_assignment(old: AssignmentStatus, new: AssignmentStatus) -> None:
    """Raise IllegalTransition unless ``old`` → ``new`` is allowed for an assignment."""
    if new not in ASSIGNMENT_TRANSITIONS[old]:
        allowed = ", ".join(sorted(ASSIGNMENT_TRANSITIONS[old])) or "none (final)"
        raise IllegalTransition(
            f"an assignment that is {old} cannot become {new}; allowed: {allowed}",
            field="status",
            message=(
                f"任务{ASSIGNMENT_STATUS_NAMES[old]}，不能改为{ASSIGNMENT_STATUS_NAMES[new]}"
                f"{_choices(ASSIGNMENT_TRANSITIONS[old], ASSIGNMENT_STATUS_NAMES)}"
            ),
            current=str(old),
            requested=str(new),
        )


class CaseAction(StrEnum):
    """What an actor may do to a case (``allowed_actions`` of the API)."""

    RESOLVE = "resolve"  # resolve locally (易事快处置)
    REJECT = "reject"
    MERGE = "merge"
    WHISTLE = "whistle"
    ESCALATE = "escalate"  # to city departments (分级派单)
    REROUTE = "reroute"  # after a dispute
    VERIFY = "verify"  # confirm, or reopen (退回重办)
    EVALUATE = "evaluate"
    COMMENT = "comment"


CASE_ACTION_NAMES = {
    CaseAction.RESOLVE: "就地解决",
    CaseAction.REJECT: "驳回",
    CaseAction.MERGE: "合并",
    CaseAction.WHISTLE: "吹哨",
    CaseAction.ESCALATE: "上报市级",
    CaseAction.REROUTE: "改派",
    CaseAction.VERIFY: "核查",
    CaseAction.EVALUATE: "评价",
    CaseAction.COMMENT: "留言",
}


@dataclass(frozen=True)
class CaseRule:
    """An action: the role model's permission it needs, the move it makes from each state it
    starts from (None: any state, no move), and the guard facts the action itself brings."""

    permission: Action
    moves: Mapping[CaseStatus, CaseStatus] | None
    brings: frozenset[Guard] = frozenset()


CASE_ACTIONS: dict[CaseAction, CaseRule] = {
    CaseAction.RESOLVE: CaseRule(
        Action.TRIAGE,
        {CaseStatus.NEW: CaseStatus.RESOLVED, CaseStatus.DISPUTED: CaseStatus.RESOLVED},
    ),
    CaseAction.REJECT: CaseRule(
        Action.TRIAGE,
        {CaseStatus.NEW: CaseStatus.REJECTED, CaseStatus.DISPUTED: CaseStatus.REJECTED},
    ),
    CaseAction.MERGE: CaseRule(Action.TRIAGE, {CaseStatus.NEW: CaseStatus.MERGED}),
    CaseAction.WHISTLE: CaseRule(Action.TRIAGE, {CaseStatus.NEW: CaseStatus.WHISTLED}),
    # who escalates: a district of the case (the role model's ESCALATE); from a case not yet
    # resolved; a whistled one is whistled again (its guard is the escalation itself)
    CaseAction.ESCALATE: CaseRule(
        Action.ESCALATE,
        {
            CaseStatus.NEW: CaseStatus.WHISTLED,
            CaseStatus.WHISTLED: CaseStatus.WHISTLED,
            CaseStatus.DISPUTED: CaseStatus.WHISTLED,
        },
        brings=frozenset({Guard.ESCALATION}),
    ),
    CaseAction.REROUTE: CaseRule(Action.TRIAGE, {CaseStatus.DISPUTED: CaseStatus.WHISTLED}),
    CaseAction.VERIFY: CaseRule(Action.VERIFY, {CaseStatus.RESOLVED: CaseStatus.VERIFIED}),
    CaseAction.EVALUATE: CaseRule(Action.EVALUATE, {CaseStatus.VERIFIED: CaseStatus.CLOSED}),
    CaseAction.COMMENT: CaseRule(Action.COMMENT, None),
}


@dataclass(frozen=True)
class CaseFacts:
    """What the action rules know of a case: its id, state, scope (who and where) and the
    guard facts that hold for it (no call-back owed …)."""

    id: int
    status: CaseStatus
    scope: CaseScope
    met: frozenset[Guard] = frozenset()


def case_refusal(action: CaseAction, actor: Actor, case: CaseFacts) -> DomainError | None:
    """Why ``actor`` may not do ``action`` to ``case`` (None: it may): a Forbidden (403) when
    the role model does not allow it there, else an IllegalTransition (409) when the case's
    state does not allow it."""
    rule = CASE_ACTIONS[action]
    if not allowed(actor, rule.permission, case.scope):
        who = f"{actor.role} {actor.jurisdiction or ''}".strip()
        return Forbidden(f"{who} may not {rule.permission} case {case.id}", field="authorization")
    if rule.moves is None:
        return None
    new = rule.moves.get(case.status)
    if new is None:
        starts = sorted(rule.moves)
        return IllegalTransition(
            f"a {case.status} case cannot be given {action} (only one that is {', '.join(starts)})",
            field="status",
            message=_action_refused(action, case.status, starts, set(rule.moves.values())),
            current=str(case.status),
            requested=str(action),
        )
    return move_refusal(case.status, new, case.met | rule.brings)


def _action_refused(
    action: CaseAction, status: CaseStatus, starts: list[CaseStatus], targets: set[CaseStatus]
) -> str:
    """The words for an action the case's state does not allow: as the table says it (what
    the case may become) when the action's one move is not in the table from here, else
    which states allow the action."""
    if len(targets) == 1 and not targets <= CASE_TRANSITIONS[status]:
        (target,) = targets
        may = _choices(CASE_TRANSITIONS[status], CASE_STATUS_NAMES)
        return f"{_case_move(status, target)}{may}"
    allowing = "、".join(CASE_STATUS_NAMES[s] for s in starts)
    name = CASE_STATUS_NAMES[status]
    return f"案件{name}，不能{CASE_ACTION_NAMES[action]}（{allowing}的案件才能）"


def check_action(action: CaseAction, actor: Actor, case: CaseFacts) -> None:
    """Raise the refusal of :func:`case_refusal`, if any."""
    refusal = case_refusal(action, actor, case)
    if refusal is not None:
        raise refusal


def case_actions(actor: Actor, case: CaseFacts) -> list[CaseAction]:
    """The actions ``actor`` may do to ``case`` (none of them refused), in the table's order."""
    return [a for a in CaseAction if case_refusal(a, actor, case) is None]


class AssignmentAction(StrEnum):
    """What an actor may do to one department's assignment (``allowed_actions``)."""

    ACKNOWLEDGE = "acknowledge"  # 签收
    ARRIVE = "arrive"  # 到场报到 (from dispatched, it signs for the task first)
    RESOLVE = "resolve"
    EXTEND = "extend"  # ask for more time
    DISPUTE = "dispute"  # 派单异议
    DECIDE_EXTENSION = "decide_extension"  # the lead street, on a waiting request


# the department's acts and the states each starts from (ASSIGNMENT_TRANSITIONS moves them)
ASSIGNMENT_ACTIONS: dict[AssignmentAction, frozenset[AssignmentStatus]] = {
    AssignmentAction.ACKNOWLEDGE: frozenset({AssignmentStatus.DISPATCHED}),
    AssignmentAction.ARRIVE: frozenset(
        {AssignmentStatus.DISPATCHED, AssignmentStatus.ACKNOWLEDGED}
    ),
    AssignmentAction.RESOLVE: frozenset({AssignmentStatus.ON_SITE}),
    AssignmentAction.EXTEND: frozenset({AssignmentStatus.ACKNOWLEDGED, AssignmentStatus.ON_SITE}),
    AssignmentAction.DISPUTE: frozenset(
        {AssignmentStatus.DISPATCHED, AssignmentStatus.ACKNOWLEDGED}
    ),
}


@dataclass(frozen=True)
class AssignmentFacts:
    """What the action rules know of an assignment: id, department, state, its case's facts
    and the extension request waiting for a decision, if any."""

    id: int
    department_code: str
    status: AssignmentStatus
    case: CaseFacts
    pending_extension: int | None = None


def assignment_refusal(
    action: AssignmentAction, actor: Actor, assignment: AssignmentFacts
) -> DomainError | None:
    """Why ``actor`` may not do ``action`` to ``assignment`` (None: it may): 403 unless the
    department's own staff (or the lead street, for an extension decision), 409 when the
    assignment's state or a waiting extension request does not allow it."""
    a = assignment
    if action is AssignmentAction.DECIDE_EXTENSION:
        if not allowed(actor, Action.APPROVE_EXTENSION, a.case.scope):
            who = f"{actor.role} {actor.jurisdiction or ''}".strip()
            return Forbidden(
                f"{who} may not {Action.APPROVE_EXTENSION} case {a.case.id}", field="authorization"
            )
        if a.pending_extension is None:
            return IllegalTransition(
                f"no extension request of assignment {a.id} waits for a decision",
                field="status",
                message="没有待审批的延期申请",
            )
        return None
    if not on_duty(actor, a.department_code):
        return Forbidden(
            f"only {a.department_code} staff act on assignment {a.id}", field="authorization"
        )
    starts = ASSIGNMENT_ACTIONS[action]
    if a.status not in starts:
        return IllegalTransition(
            f"an assignment that is {a.status} cannot {action} (only one that is "
            f"{', '.join(sorted(starts))})",
            field="status",
            message=f"任务{ASSIGNMENT_STATUS_NAMES[a.status]}，不能{ASSIGNMENT_ACTION_NAMES[action]}",
            current=str(a.status),
            requested=str(action),
        )
    if action is AssignmentAction.EXTEND and a.pending_extension is not None:
        return IllegalTransition(
            f"extension {a.pending_extension} is still waiting for a decision",
            field="status",
            message="上一次延期申请尚待审批",
        )
    return None


ASSIGNMENT_ACTION_NAMES = {
    AssignmentAction.ACKNOWLEDGE: "签收",
    AssignmentAction.ARRIVE: "到场报到",
    AssignmentAction.RESOLVE: "办结",
    AssignmentAction.EXTEND: "申请延期",
    AssignmentAction.DISPUTE: "提出异议",
    AssignmentAction.DECIDE_EXTENSION: "审批延期",
}


def check_assignment_action(
    action: AssignmentAction, actor: Actor, assignment: AssignmentFacts
) -> None:
    """Raise the refusal of :func:`assignment_refusal`, if any."""
    refusal = assignment_refusal(action, actor, assignment)
    if refusal is not None:
        raise refusal


def assignment_actions(actor: Actor, assignment: AssignmentFacts) -> list[AssignmentAction]:
    """The actions ``actor`` may do to ``assignment``, in the table's order."""
    return [a for a in AssignmentAction if assignment_refusal(a, actor, assignment) is None]
