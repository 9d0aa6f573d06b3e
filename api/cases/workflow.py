"""The case and assignment workflows as transition tables (pure).

A case: ``new`` → resolved locally / rejected / merged / whistled; a whistled case may be
``disputed`` (a department says "not ours") and re-routed, then ``resolved`` by its lead
department; the street ``verified`` it (or reopens it) and the reporter or community
evaluates it, which ``closed`` it. An assignment (one department on one whistle):
``dispatched`` → ``acknowledged`` (签收) → ``on_site`` (报到) → ``resolved``; it may be
``disputed`` before reaching the site, and is ``cancelled`` when the case is re-routed.
"""

from __future__ import annotations

from enum import StrEnum

from api.errors import Conflict


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
    CaseStatus.VERIFIED: frozenset({CaseStatus.CLOSED}),
    CaseStatus.REJECTED: frozenset(),
    CaseStatus.MERGED: frozenset(),
    CaseStatus.CLOSED: frozenset(),
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


def check_case(old: CaseStatus, new: CaseStatus) -> None:
    """Raise IllegalTransition unless ``old`` → ``new`` is allowed for a case."""
    if new not in CASE_TRANSITIONS[old]:
        allowed = ", ".join(sorted(CASE_TRANSITIONS[old])) or "none (final)"
        raise IllegalTransition(
            f"a {old} case cannot become {new}; allowed from {old}: {allowed}",
            field="status",
            current=str(old),
            requested=str(new),
        )


def check_assignment(old: AssignmentStatus, new: AssignmentStatus) -> None:
    """Raise IllegalTransition unless ``old`` → ``new`` is allowed for an assignment."""
    if new not in ASSIGNMENT_TRANSITIONS[old]:
        allowed = ", ".join(sorted(ASSIGNMENT_TRANSITIONS[old])) or "none (final)"
        raise IllegalTransition(
            f"an assignment that is {old} cannot become {new}; allowed: {allowed}",
            field="status",
            current=str(old),
            requested=str(new),
        )
