"""The webhook sender: post each due delivery, signed, in order per case and subscription;
retry failures with exponential backoff; give up (``dead``) after the last attempt."""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import logging
from collections.abc import Callable
from contextlib import suppress
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import httpx
from sqlalchemy import text
from sqlalchemy.orm import Session, sessionmaker

from api.cases.models import CaseEvent
from api.config import Settings
from api.webhooks.models import Delivery, Subscription

log = logging.getLogger(__name__)

SIGNATURE = "X-Gridwhistle-Signature"
KEY = "X-Gridwhistle-Delivery"  # the idempotency key: the same on every attempt and replay
EVENT = "X-Gridwhistle-Event"

# Due pending deliveries, oldest event first, none of which has an earlier event of the same
# case still pending for the same subscription (in order per case); locked, so two senders
# never post the same one.
_DUE = text(
    "SELECT d.id FROM webhook_deliveries d WHERE d.status = 'pending' "
    "AND d.next_attempt_at <= :now AND NOT EXISTS (SELECT 1 FROM webhook_deliveries e "
    "WHERE e.subscription_id = d.subscription_id AND e.case_id = d.case_id "
    "AND e.event_id < d.event_id AND e.status = 'pending') "
    "ORDER BY d.event_id, d.id LIMIT :limit FOR UPDATE SKIP LOCKED"
)


@dataclass(frozen=True)
class Policy:
    """How hard the sender tries: attempts before ``dead``, the first wait (doubling after
    each failure, at most ``backoff_max_s``), and each request's timeout."""

    max_attempts: int = 8
    backoff_s: float = 30.0
    backoff_max_s: float = 3600.0
    timeout_s: float = 10.0

    @classmethod
    def of(cls, settings: Settings) -> Policy:
        """The installation's policy (``GRIDWHISTLE_WEBHOOK_*``)."""
        return cls(
            max_attempts=settings.webhook_max_attempts,
            backoff_s=settings.webhook_backoff_s,
            backoff_max_s=settings.webhook_backoff_max_s,
            timeout_s=settings.webhook_timeout_s,
        )

    def wait(self, attempts: int) -> timedelta:
        """The wait after the ``attempts``-th failed attempt.

        >>> [Policy(backoff_s=30, backoff_max_s=100).wait(n).seconds for n in (1, 2, 3, 4)]
        [30, 60, 100, 100]
        """
        return timedelta(seconds=min(self.backoff_s * 2 ** (attempts - 1), self.backoff_max_s))


@dataclass(frozen=True)
class Sent:
    """What a round did: deliveries accepted, failed (to retry) and given up."""

    delivered: int = 0
    retrying: int = 0
    dead: int = 0

    def __add__(self, other: Sent) -> Sent:
        return Sent(
            self.delivered + other.delivered, self.retrying + other.retrying, self.dead + other.dead
        )

    @property
    def total(self) -> int:
        """Deliveries attempted."""
        return self.delivered + self.retrying + self.dead


def idempotency_key(delivery: Delivery) -> str:
    """The key a receiver deduplicates on: the event and the subscription."""
    return f"{delivery.event_id}-{delivery.subscription_id}"


def payload(event: CaseEvent, subscription: Subscription) -> dict[str, Any]:
    """The JSON body: the event as the case history has it, and the subscription."""
    return {
        "event": {
            "id": event.id,
            "case_id": event.case_id,
            "kind": event.kind,
            "at": event.at.isoformat(),
            "actor_role": event.actor_role,
            "actor_name": event.actor_name,
            "from_status": event.from_status,
            "to_status": event.to_status,
            "reason": event.reason,
            "data": event.data,
        },
        "subscription": {
            "id": subscription.id,
            "scope": subscription.scope,
            "code": subscription.code,
        },
    }


def sign(secret: str, body: bytes) -> str:
    """The signature header's value: HMAC-SHA256 of the body with the subscription's secret.

    >>> sign("s3cret-s3cret-s3cret", b'{"a":1}')[:15]
    'sha256=5069bca3'
    """
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def deliver_due(
    *, session: Session, client: httpx.Client, now: datetime, policy: Policy, limit: int = 100
) -> Sent:
    """Post the deliveries due at ``now`` (not committed); what happened to them."""
    ids = list(session.scalars(_DUE, {"now": now, "limit": limit}))
    delivered = retrying = dead = 0
    for delivery_id in ids:
        delivery = session.get(Delivery, delivery_id)
        assert delivery is not None
        subscription = session.get(Subscription, delivery.subscription_id)
        event = session.get(CaseEvent, delivery.event_id)
        assert subscription is not None and event is not None
        body = json.dumps(payload(event, subscription), ensure_ascii=False).encode()
        headers = {
            "Content-Type": "application/json; charset=utf-8",
            SIGNATURE: sign(subscription.secret, body),
            KEY: idempotency_key(delivery),
            "Idempotency-Key": idempotency_key(delivery),
            EVENT: event.kind,
        }
        delivery.attempts += 1
        delivery.last_attempt_at = now
        error = _post(client, subscription.url, body, headers, policy.timeout_s)
        if error is None:
            delivery.status, delivery.delivered_at, delivery.last_error = "delivered", now, None
            delivered += 1
        elif delivery.attempts >= policy.max_attempts:
            delivery.status, delivery.last_error = "dead", error
            dead += 1
        else:
            delivery.next_attempt_at = now + policy.wait(delivery.attempts)
            delivery.last_error = error
            retrying += 1
    session.flush()
    return Sent(delivered=delivered, retrying=retrying, dead=dead)


def _post(
    client: httpx.Client, url: str, body: bytes, headers: dict[str, str], timeout_s: float
) -> str | None:
    """None when the receiver accepted (2xx), else why not."""
    try:
        answer = client.post(url, content=body, headers=headers, timeout=timeout_s)
    except httpx.HTTPError as exc:
        return f"{type(exc).__name__}: {exc}"[:500]
    if 200 <= answer.status_code < 300:
        return None
    return f"HTTP {answer.status_code}"


def run_once(
    factory: sessionmaker[Session], *, client: httpx.Client, now: datetime, policy: Policy
) -> Sent:
    """Send until nothing is due at ``now`` (a delivery made lets the next event of its case
    go), committing after each batch."""
    total = Sent()
    while True:
        with factory() as session:
            sent = deliver_due(session=session, client=client, now=now, policy=policy)
            session.commit()
        total += sent
        if sent.total == 0:
            return total


async def run_periodically(
    factory: sessionmaker[Session],
    *,
    wake: asyncio.Event,
    interval_s: float,
    policy: Policy,
    now: Callable[[], datetime],
) -> None:
    """Send due deliveries when woken (the fan-out wrote some) and every ``interval_s``
    seconds (retries come due), in a worker thread, until cancelled."""
    with httpx.Client(follow_redirects=False) as client:
        while True:
            wake.clear()
            try:
                sent = await asyncio.to_thread(
                    run_once, factory, client=client, now=now(), policy=policy
                )
                if sent.total:
                    log.info("webhooks: %s", sent)
            except Exception:  # the sender must survive a database hiccup and try again
                log.exception("webhook sender failed; retrying")
            with suppress(TimeoutError):
                await asyncio.wait_for(wake.wait(), interval_s)
