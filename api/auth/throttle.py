"""Failed logins slow, then stop, whoever keeps guessing (docs/roles.md).

Failures are counted per username and per client address in the database
(``login_throttles``), so every worker process of the service sees the same counts. After
the free failures, each further attempt must wait ``delay_s`` after the last failure,
doubling with every failure; at the lock count the username or address is refused for
``lock_s`` after its last failure. A refused attempt (429) checks no password and counts
nothing; a correct password forgets the username's failures; a count is forgotten once its
last failure is ``lock_s`` old.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import ClassVar

from sqlalchemy import delete, select, tuple_
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.orm import Session

from api.auth.models import LoginThrottle
from api.config import Settings
from api.errors import DomainError

USERNAME = "username"
ADDRESS = "address"


class LoginThrottled(DomainError):
    """Too many failed logins: retry after ``retry_after_s`` seconds (429, Retry-After)."""

    status: ClassVar[int] = 429
    title: ClassVar[str] = "Too many requests"

    def __init__(self, detail: str, *, retry_after_s: int) -> None:
        super().__init__(
            detail,
            field="username",
            retry_after=retry_after_s,
            message=f"登录失败次数过多，请 {retry_after_s} 秒后再试。",
        )
        self.retry_after_s = retry_after_s


@dataclass(frozen=True)
class LoginPolicy:
    """When failed logins slow and stop further attempts (``api.config.Settings``)."""

    free: int = 3
    lock: int = 10
    address_free: int = 20
    address_lock: int = 50
    delay_s: float = 1.0
    lock_s: float = 15 * 60

    @classmethod
    def of(cls, settings: Settings) -> LoginPolicy:
        """The policy the settings give."""
        return cls(
            free=settings.login_free_failures,
            lock=settings.login_lock_failures,
            address_free=settings.login_address_free_failures,
            address_lock=settings.login_address_lock_failures,
            delay_s=settings.login_delay_s,
            lock_s=settings.login_lock_s,
        )

    def wait_s(self, kind: str, failures: int) -> float:
        """How long after the last of ``failures`` the next attempt must wait.

        >>> policy = LoginPolicy(free=3, lock=10, delay_s=1.0, lock_s=900)
        >>> [policy.wait_s("username", n) for n in (2, 3, 4, 9, 10)]
        [0.0, 1.0, 2.0, 64.0, 900]
        """
        if kind == USERNAME:
            free, lock = self.free, self.lock
        else:
            free, lock = self.address_free, self.address_lock
        if failures >= lock:
            return self.lock_s
        if failures < free:
            return 0.0
        return min(self.delay_s * 2 ** (failures - free), self.lock_s)


def _subjects(username: str, address: str) -> dict[str, str]:
    return {USERNAME: username, ADDRESS: address}


def check(
    *, session: Session, username: str, address: str, now: datetime, policy: LoginPolicy
) -> None:
    """Refuse an attempt that comes too soon after failures of its username or address."""
    subjects = _subjects(username, address)
    rows = session.scalars(
        select(LoginThrottle).where(
            tuple_(LoginThrottle.kind, LoginThrottle.subject).in_(list(subjects.items()))
        )
    )
    waits: list[tuple[float, str, int]] = []
    for row in rows:
        elapsed = (now - row.last_failed_at).total_seconds()
        if elapsed >= policy.lock_s:
            continue  # forgotten
        left = policy.wait_s(row.kind, row.failures) - elapsed
        if left > 0:
            waits.append((left, row.kind, row.failures))
    if not waits:
        return
    left, kind, failures = max(waits)
    whose = "this username" if kind == USERNAME else "this client address"
    raise LoginThrottled(
        f"{failures} failed logins for {whose}: try again in {math.ceil(left)} s",
        retry_after_s=math.ceil(left),
    )


def failed(
    *, session: Session, username: str, address: str, now: datetime, policy: LoginPolicy
) -> None:
    """Count a failed login for its username and its client address (a count whose last
    failure is ``lock_s`` old starts again; counts that old are deleted)."""
    stale = now - timedelta(seconds=policy.lock_s)
    session.execute(delete(LoginThrottle).where(LoginThrottle.last_failed_at <= stale))
    table = LoginThrottle.__table__.c
    for kind, subject in _subjects(username, address).items():
        new = insert(LoginThrottle).values(
            kind=kind, subject=subject, failures=1, last_failed_at=now
        )
        session.execute(
            new.on_conflict_do_update(
                index_elements=[table.kind, table.subject],
                set_={"failures": table.failures + 1, "last_failed_at": now},
            )
        )


def succeeded(*, session: Session, username: str) -> None:
    """Forget the failed logins of a username that logged in (its address's stay)."""
    session.execute(
        delete(LoginThrottle).where(
            LoginThrottle.kind == USERNAME, LoginThrottle.subject == username
        )
    )
