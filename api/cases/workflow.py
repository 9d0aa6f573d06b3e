"""The case and assignment workflows as transition tables (pure).

A case: ``new`` → resolved locally / rejected / merged / whistled; a whistled case may be
``disputed`` (a department says "not ours") and re-routed, then ``resolved`` by its lead
department; the street ``verified`` it (or reopens it) and the reporter or community
evaluates it, which ``closed`` it. A hotline case is closed by its call-back (回访) instead;
a 不满意 call-back the lead street accepts reopens the verified case (重办). Those moves are
guarded: the table names the fact each needs (``CASE_GUARDS``), the service says which hold.

An assignment (one department on one whistle):
``dispatched`` → ``acknowledged`` (签收) → ``on_site`` (报到) → ``resolved``; it may be
``disputed`` before reaching the site, and is ``cancelled`` when the case is re-routed.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Any

from api.errors import Conflict
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
    CaseStatus.WHISTLED: frozenset({CaseStatus.RESOLVED, CaseStatus.DISPUTED}),
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


CASE_GUARDS: dict[tuple[CaseStatus, CaseStatus], Guard] = {
    (CaseStatus.VERIFIED, CaseStatus.WHISTLED): Guard.CALLBACK_ACCEPTED,  # 重办 by the lead
    (CaseStatus.VERIFIED, CaseStatus.NEW): Guard.CALLBACK_ACCEPTED,  # 重办, resolved locally
    (CaseStatus.VERIFIED, CaseStatus.CLOSED): Guard.CALLBACK_SETTLED,
}

GUARD_REFUSALS = {
    Guard.CALLBACK_ACCEPTED: "a verified case is reopened only by a 不满意 call-back the lead "
    "street accepts (重办)",
    Guard.CALLBACK_SETTLED: "a hotline case waits for its call-back (回访), which closes it",
}

GUARD_MESSAGES = {
    Guard.CALLBACK_ACCEPTED: "已核查的案件只有在回访不满意、牵头街道同意重办时才能重新办理",
    Guard.CALLBACK_SETTLED: "12345 热线案件须等回访完成后结案",
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


def check_case(old: CaseStatus, new: CaseStatus, met: frozenset[Guard] = frozenset()) -> None:
    """Raise IllegalTransition unless ``old`` → ``new`` is allowed for a case and the move's
    guard, if it has one, is among the facts ``met``."""
    guard = CASE_GUARDS.get((old, new))
    if new in CASE_TRANSITIONS[old] and guard is not None and guard not in met:
        raise IllegalTransition(
            f"a {old} case cannot become {new}: {GUARD_REFUSALS[guard]}",
            field="status",
            message=f"{_case_move(old, new)}：{GUARD_MESSAGES[guard]}",
            current=str(old),
            requested=str(new),
        )
    if new not in CASE_TRANSITIONS[old]:
        allowed = ", ".join(sorted(CASE_TRANSITIONS[old])) or "none (final)"
        raise IllegalTransition(
            f"a {old} case cannot become {new}; allowed from {old}: {allowed}",
            field="status",
            message=f"{_case_move(old, new)}{_choices(CASE_TRANSITIONS[old], CASE_STATUS_NAMES)}",
            current=str(old),
            requested=str(new),
        )


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
