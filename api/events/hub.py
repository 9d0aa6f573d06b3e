"""The app's ear on the ``case_events`` channel: one connection of its own LISTENs (a trigger
notifies when an event commits, migration 0009) and wakes whoever waits — the live streams
and the fan-out. When that connection is lost it connects again every ``retry_s`` seconds
and wakes everyone then (an event may have been missed); waiters also wake on their own
timeout, so a lost notification delays an update, never loses it."""

from __future__ import annotations

import asyncio
import logging
from contextlib import suppress

import asyncpg

CHANNEL = "case_events"
LISTENER_NAME = "gridwhistle events"  # what pg_stat_activity shows for the connection

log = logging.getLogger(__name__)


class EventHub:
    """Wakes waiters when a case event commits (or on their timeout)."""

    def __init__(self, dsn: str | None, *, retry_s: float = 1.0) -> None:
        self._dsn = dsn
        self._retry_s = retry_s
        self._conn: asyncpg.Connection | None = None
        self._retrying: asyncio.Task[None] | None = None
        self._woken = asyncio.Event()
        self.closed = False
        self.version = 0  # how many wake-ups so far

    async def start(self) -> None:
        """Connect and listen (raises if the database cannot be reached)."""
        if self._dsn is not None:
            await self._connect()

    async def close(self) -> None:
        """Stop listening; every waiter wakes and sees ``closed``."""
        self.closed = True
        self.wake()
        if self._retrying is not None:
            self._retrying.cancel()
            with suppress(asyncio.CancelledError):
                await self._retrying
        if self._conn is not None and not self._conn.is_closed():
            await self._conn.close()

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

    async def _connect(self) -> None:
        assert self._dsn is not None
        conn = await asyncpg.connect(self._dsn, server_settings={"application_name": LISTENER_NAME})
        await conn.add_listener(CHANNEL, self._heard)
        conn.add_termination_listener(self._lost)
        self._conn = conn

    def _heard(self, *_: object) -> None:
        self.wake()

    def _lost(self, *_: object) -> None:
        if not self.closed and self._retrying is None:
            self._retrying = asyncio.get_running_loop().create_task(self._reconnect())

    async def _reconnect(self) -> None:
        while not self.closed:
            await asyncio.sleep(self._retry_s)
            try:
                await self._connect()
            except (OSError, asyncpg.PostgresError, asyncpg.InterfaceError):
                continue
            self._retrying = None
            self.wake()
            return
