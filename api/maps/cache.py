"""A small per-process cache of map data, keyed by what the data was computed from.

Map pages spend their time reading events and computing statistics (counts, Gi*, emerging
categories, densities, road loads); the answer only changes when the events or the geography
change. An entry is stored under a key of the page's parameters and tagged with a
``DataVersion``; a lookup whose current version differs recomputes and replaces the entry.

What the version sees (one cheap query per request, whatever the number of events):

* the database (engine URL): one process may serve several databases (tests do);
* the active generation: every boundary import, grid or demo load makes a new one, and roads
  and chiefs are versioned with it;
* the **data mark**: the sum of the committed marks in ``data_marks``, which a trigger bumps
  after every statement that writes ``events`` or ``reports`` (insert, update, delete,
  truncate: a reload too) or moves a case to other codes (migration 0013). Each database
  connection has its own row, so concurrent writers never wait for one another; a write
  still in flight is not counted until it commits, and a rolled-back one never is.

What it does not see: areas, roads or chiefs edited in place (imports make generations), and
assignments (a department's events tiles add its own to their key). Every entry also expires
after ``max_age_s`` (10 minutes by default). Overdue whistles depend on the clock and on
assignment states, so pages query them on every request and never cache them.
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Hashable
from dataclasses import dataclass
from typing import Any, TypeVar, cast

from sqlalchemy import text
from sqlalchemy.orm import Session

T = TypeVar("T")

_VERSION_SQL = text(
    "SELECT (SELECT max(id) FROM generations), (SELECT coalesce(sum(mark), 0) FROM data_marks)"
)
"""Two index or few-row reads: ``generations``' primary key and the data marks (about one row
per database connection), never the events."""


@dataclass(frozen=True)
class DataVersion:
    """What cached map data depends on: database, generation, and the data mark of the
    events and reports."""

    database: str
    generation: int | None
    mark: int


def data_version(*, session: Session) -> DataVersion:
    """The current version of the data the maps are computed from."""
    gen, mark = session.execute(_VERSION_SQL).one()
    url = session.get_bind().engine.url.render_as_string(hide_password=True)
    return DataVersion(url, None if gen is None else int(gen), int(mark))


@dataclass
class _Entry:
    version: DataVersion
    created: float
    value: Any
    size: int = 0


class MapCache:
    """Least-recently-used entries tagged with a ``DataVersion``, each for at most ``max_age_s``;
    with ``max_bytes``, the values (``bytes``, such as tiles) also fit in that many bytes."""

    def __init__(
        self,
        *,
        max_entries: int = 48,
        max_age_s: float = 600.0,
        max_bytes: int | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.max_entries = max_entries
        self.max_age_s = max_age_s
        self.max_bytes = max_bytes
        self.clock = clock
        self.hits = 0
        self.misses = 0
        self.bytes = 0  # of the values kept, when max_bytes is set
        self._entries: OrderedDict[Hashable, _Entry] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: Hashable, version: DataVersion, compute: Callable[[], T]) -> T:
        """The value for ``key`` computed at ``version``; computed (and stored) when missing."""
        now = self.clock()
        with self._lock:
            entry = self._entries.get(key)
            if (
                entry is not None
                and entry.version == version
                and now - entry.created <= self.max_age_s
            ):
                self._entries.move_to_end(key)
                self.hits += 1
                return cast(T, entry.value)
            self.misses += 1
        value = compute()  # outside the lock: a slow page does not block the others
        size = len(cast(bytes, value)) if self.max_bytes is not None else 0
        with self._lock:
            old = self._entries.pop(key, None)
            self.bytes -= 0 if old is None else old.size
            if self.max_bytes is not None and size > self.max_bytes:
                return value  # larger than the whole budget: not kept
            self._entries[key] = _Entry(version, now, value, size)
            self.bytes += size
            while len(self._entries) > self.max_entries or (
                self.max_bytes is not None and self.bytes > self.max_bytes and self._entries
            ):
                _, dropped = self._entries.popitem(last=False)
                self.bytes -= dropped.size
        return value

    def clear(self) -> None:
        """Forget every entry and reset the counters."""
        with self._lock:
            self._entries.clear()
            self.hits = self.misses = self.bytes = 0

    def __len__(self) -> int:
        return len(self._entries)


MAPS_CACHE = MapCache()
