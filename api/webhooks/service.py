"""Webhook subscriptions: adding, listing and removing them, which events they match, the
outbox rows the fan-out writes for them, and replaying deliveries."""

from __future__ import annotations

import re
import secrets
from datetime import datetime
from urllib.parse import urlsplit

from sqlalchemy import select, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.orm import Session

from api.auth.roles import Action, Actor, CaseScope, Role, allowed
from api.cases.models import CaseEvent
from api.departments.models import Department
from api.errors import InvalidInput, NotFound
from api.webhooks.models import SCOPES, Delivery, Subscription

CODE_SHAPES = {"street": re.compile(r"^\d{9}$"), "district": re.compile(r"^\d{6}$")}
KIND = re.compile(r"^[a-z_]+(:([a-z_]+|\*))?$")


def kind_matches(kinds: list[str], kind: str) -> bool:
    """Whether an event ``kind`` is one a subscription chose (none chosen: every kind;
    ``supervision:*``: every kind of that family).

    >>> kind_matches([], "case:new"), kind_matches(["supervision:*"], "supervision:chased")
    (True, True)
    >>> kind_matches(["case:new"], "case:whistled")
    False
    """
    return not kinds or any(
        k == kind or (k.endswith(":*") and kind.startswith(k[:-1])) for k in kinds
    )


def sees(subscription: Subscription, scope: CaseScope) -> bool:
    """Whether the subscription's department, street or district may see a case (the same
    rule as its users: ``api.auth.roles.allowed``)."""
    unit = Actor(id=0, role=Role(subscription.scope), jurisdiction=subscription.code)
    return allowed(unit, Action.VIEW, scope)


def matching(*, session: Session) -> list[Subscription]:
    """The active subscriptions (the fan-out tests each event against them)."""
    return list(
        session.scalars(select(Subscription).where(Subscription.active).order_by(Subscription.id))
    )


def enqueue_deliveries(
    *,
    session: Session,
    event: CaseEvent,
    scope: CaseScope,
    subscriptions: list[Subscription],
    now: datetime,
) -> int:
    """A pending delivery of ``event`` for each subscription it matches; the count."""
    rows = [
        {
            "subscription_id": s.id,
            "event_id": event.id,
            "case_id": event.case_id,
            "status": "pending",
            "attempts": 0,
            "next_attempt_at": now,
        }
        for s in subscriptions
        if kind_matches(list(s.kinds or []), event.kind) and sees(s, scope)
    ]
    if rows:
        session.execute(insert(Delivery).values(rows).on_conflict_do_nothing())
    return len(rows)


def add(
    *,
    session: Session,
    scope: str,
    code: str,
    url: str,
    kinds: list[str],
    secret: str | None = None,
) -> Subscription:
    """A new subscription (the secret generated when not given); InvalidInput naming the
    field when one is not acceptable."""
    if scope not in SCOPES:
        raise InvalidInput(f"scope must be one of {', '.join(SCOPES)}", field="scope")
    if scope == "department":
        if session.get(Department, code) is None:
            raise InvalidInput(f"unknown department {code!r}", field="code")
    elif not CODE_SHAPES[scope].match(code):
        digits = 9 if scope == "street" else 6
        raise InvalidInput(f"a {scope} code has {digits} digits", field="code")
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise InvalidInput("the URL must be http:// or https:// with a host", field="url")
    bad = [k for k in kinds if not KIND.match(k)]
    if bad:
        raise InvalidInput(f"not an event kind: {', '.join(bad)}", field="kinds")
    if secret is not None and len(secret) < 16:
        raise InvalidInput("a secret has at least 16 characters", field="secret")
    row = Subscription(
        scope=scope,
        code=code,
        url=url,
        secret=secret or secrets.token_urlsafe(32),
        kinds=kinds,
        active=True,
    )
    session.add(row)
    session.flush()
    return row


def listed(*, session: Session) -> list[Subscription]:
    """Every subscription, oldest first."""
    return list(session.scalars(select(Subscription).order_by(Subscription.id)))


def remove(*, session: Session, subscription_id: int) -> None:
    """Delete a subscription and its outbox rows; NotFound otherwise."""
    row = session.get(Subscription, subscription_id)
    if row is None:
        raise NotFound(f"webhook {subscription_id} does not exist", field="id")
    session.delete(row)
    session.flush()


def replay(*, session: Session, now: datetime, dead: bool, since: datetime | None) -> int:
    """Send deliveries again from the first attempt: the dead ones (``dead``), of events at
    or after ``since`` (any state); the count. Receivers see the same idempotency key."""
    if not dead and since is None:
        raise InvalidInput(
            "say which deliveries: the dead ones, or those since a time", field="dead"
        )
    stmt = update(Delivery).values(
        status="pending", attempts=0, next_attempt_at=now, last_error=None, delivered_at=None
    )
    if dead:
        stmt = stmt.where(Delivery.status == "dead")
    if since is not None:
        stmt = stmt.where(Delivery.event_id.in_(select(CaseEvent.id).where(CaseEvent.at >= since)))
    return session.execute(stmt).rowcount  # type: ignore[attr-defined]
