"""A LISTEN on a connection of its own: ``on_notify`` runs for each notification on the
channel. When the connection is lost (the database restarted) it connects again every
``retry_s`` seconds and then calls ``on_notify`` too, since a notification may have been
missed meanwhile. Used by the catalogue listener and the case-event hub."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from contextlib import suppress

import asyncpg


class Listener:
    """Listens on ``channel``; ``name`` is what pg_stat_activity shows for the connection."""

    def __init__(
        self,
        dsn: str,
        *,
        channel: str,
        name: str,
        on_notify: Callable[[], None],
        retry_s: float = 1.0,
    ) -> None:
        self._dsn = dsn
        self._channel = channel
        self._name = name
        self._on_notify = on_notify
        self._retry_s = retry_s
        self._conn: asyncpg.Connection | None = None
        self._retrying: asyncio.Task[None] | None = None
        self._closing = False

    async def start(self) -> None:
        """Connect and listen (raises if the database cannot be reached)."""
        await self._connect()

    async def close(self) -> None:
        """Stop listening and reconnecting."""
        self._closing = True
        if self._retrying is not None:
            self._retrying.cancel()
            with suppress(asyncio.CancelledError):
                await self._retrying
        if self._conn is not None and not self._conn.is_closed():
            await self._conn.close()

    async def _connect(self) -> None:
        conn = await asyncpg.connect(self._dsn, server_settings={"application_name": self._name})
        await conn.add_listener(self._channel, self._heard)
        conn.add_termination_listener(self._lost)
        self._conn = conn

    def _heard(self, *_: object) -> None:
        self._on_notify()

    def _lost(self, *_: object) -> None:
        if not self._closing and self._retrying is None:
            self._retrying = asyncio.get_running_loop().create_task(self._reconnect())

    async def _reconnect(self) -> None:
        while not self._closing:
            await asyncio.sleep(self._retry_s)
            try:
                await self._connect()
            except (OSError, asyncpg.PostgresError, asyncpg.InterfaceError):
                continue
            self._retrying = None
            self._on_notify()
            return
