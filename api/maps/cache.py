"""A small per-process cache of map data, keyed by what the data was computed from.

Map pages spend their time reading events and computing statistics (counts, Gi*, emerging
categories, densities, road loads); the answer only changes when the events or the geography
change. An entry is stored under a key of the page's parameters and tagged with a
``DataVersion``; a lookup whose current version differs recomputes and replaces the entry.

What the version sees (one cheap query per request):

* the database (engine URL): one process may serve several databases (tests do);
* the active generation: every boundary import, grid or demo load makes a new one, and roads
  and chiefs are versioned with it;
* ``count`` and ``max(id)`` of ``events`` and of ``reports``: any insert, any delete, a reload
  (new ids) changes them.

What it does not see: an UPDATE of an existing event or report row, or a case moved to
another street, leaves count and max id alone. Nothing in the service does the first; for
the rest every entry also expires after ``max_age_s`` (10 minutes by default). Overdue
whistles depend on the clock and on assignment states, so pages query them on every request
and never cache them.
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
    "SELECT (SELECT max(id) FROM generations), "
    "(SELECT count(*) FROM events), (SELECT coalesce(max(id), 0) FROM events), "
    "(SELECT count(*) FROM reports), (SELECT coalesce(max(id), 0) FROM reports)"
)


@dataclass(frozen=True)
class DataVersion:
    """What cached map data depends on: database, generation, events and reports."""

    database: str
    generation: int | None
    events: tuple[int, int]  # count, max id
    reports: tuple[int, int]


def data_version(*, session: Session) -> DataVersion:
    """The current version of the data the maps are computed from."""
    gen, n_events, last_event, n_reports, last_report = session.execute(_VERSION_SQL).one()
    url = session.get_bind().engine.url.render_as_string(hide_password=True)
    return DataVersion(
        url,
        None if gen is None else int(gen),
        (int(n_events), int(last_event)),
        (int(n_reports), int(last_report)),
    )


@dataclass
class _Entry:
    version: DataVersion
    created: float
    value: Any


class MapCache:
    """Least-recently-used entries tagged with a ``DataVersion``, each for at most ``max_age_s``."""

    def __init__(
        self,
        *,
        max_entries: int = 48,
        max_age_s: float = 600.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.max_entries = max_entries
        self.max_age_s = max_age_s
        self.clock = clock
        self.hits = 0
        self.misses = 0
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
        with self._lock:
            self._entries[key] = _Entry(version, now, value)
            self._entries.move_to_end(key)
            while len(self._entries) > self.max_entries:
                self._entries.popitem(last=False)
        return value

    def clear(self) -> None:
        """Forget every entry and reset the counters."""
        with self._lock:
            self._entries.clear()
            self.hits = self.misses = 0

    def __len__(self) -> int:
        return len(self._entries)


MAPS_CACHE = MapCache()
