"""The app's ear on the ``case_events`` channel: one connection of its own LISTENs (a trigger
notifies when an event commits, migration 0009) and wakes whoever waits — the live streams
and the fan-out. When that connection is lost it connects again every ``retry_s`` seconds
and wakes everyone then (an event may have been missed); waiters also wake on their own
timeout, so a lost notification delays an update, never loses it."""

from __future__ import annotations

import asyncio
import logging

from api.db.listener import Listener

CHANNEL = "case_events"
LISTENER_NAME = "gridwhistle events"  # what pg_stat_activity shows for the connection

log = logging.getLogger(__name__)


class EventHub:
    """Wakes waiters when a case event commits (or on their timeout)."""

    def __init__(self, dsn: str | None, *, retry_s: float = 1.0) -> None:
        self._listener = (
            None
            if dsn is None
            else Listener(
                dsn, channel=CHANNEL, name=LISTENER_NAME, on_notify=self.wake, retry_s=retry_s
            )
        )
        self._woken = asyncio.Event()
        self.closed = False
        self.version = 0  # how many wake-ups so far

    async def start(self) -> None:
        """Connect and listen (raises if the database cannot be reached)."""
        if self._listener is not None:
            await self._listener.start()

    async def close(self) -> None:
        """Stop listening; every waiter wakes and sees ``closed``."""
        self.closed = True
        self.wake()
        if self._listener is not None:
            await self._listener.close()

    def wake(self) -> None:
        """Wake every current waiter."""
        self.version += 1
        woken, self._woken = self._woken, asyncio.Event()
        woken.set()

    async def wait(self, timeout_s: float, *, seen: int | None = None) -> bool:
        """Wait for the next event or ``timeout_s``; whether an event (or closing) woke us.
        With ``seen`` (a ``version`` read before looking at the database), return at once
        if a wake-up came since."""
        if self.closed or (seen is not None and seen != self.version):
            return True
        woken = self._woken
        try:
            await asyncio.wait_for(woken.wait(), timeout_s)
        except TimeoutError:
            return False
        return True
