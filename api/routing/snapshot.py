"""Load a generation's ``geo.facts.CityFacts`` from PostGIS, and keep the served app's copy.

The served app locates and routes a submitted point in process: the areas, zones, chiefs and
departments change only when an operator loads them (a new boundary generation), so reading
them once per generation saves PostgreSQL the point lookup on every report. The report's
write statement checks that the generation it was routed in is still the active one
(``api.reports.store``); when it is not, the app loads the new one and routes again. The
department catalogue can change without a new generation (``gridwhistle catalogues load``):
the app hears it on a connection of its own and loads the facts again on their next use.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable

import shapely
from sqlalchemy import text
from sqlalchemy.orm import Session, sessionmaker

from api.db.listener import Listener
from api.departments.service import CATALOGUE_CHANNEL
from api.geography.service import active_generation, load_locator
from api.routing.service import catalogue
from geo.facts import ChiefRoad, CityFacts, Zone

_IN = "{t}.generation_low <= :gen AND {t}.generation_high >= :gen"
_ZONES = text(
    f"SELECT z.code, z.kind, z.name, ST_AsBinary(z.geom) AS wkb FROM land_use_zones z "
    f"WHERE {_IN.format(t='z')}"
)
_ROADS = text(
    "SELECT r.ref, r.name AS road, r.kind, c.name, c.title, ST_AsBinary(r.geom) AS wkb "
    f"FROM roads r JOIN chiefs c ON c.ref = r.chief_ref AND {_IN.format(t='c')} "
    f"WHERE {_IN.format(t='r')}"
)


def load_city_facts(*, session: Session, generation: int | None = None) -> CityFacts:
    """The facts of ``generation`` (default: the active one)."""
    gen = generation if generation is not None else active_generation(session=session)
    if gen is None:
        raise LookupError("no boundaries are loaded")
    zones = [
        Zone(r.code, r.kind, r.name, shapely.from_wkb(bytes(r.wkb)))
        for r in session.execute(_ZONES, {"gen": gen})
    ]
    roads = [
        ChiefRoad(r.ref, r.road, r.kind, r.name, r.title, shapely.from_wkb(bytes(r.wkb)))
        for r in session.execute(_ROADS, {"gen": gen})
    ]
    return CityFacts(
        load_locator(session=session, generation=gen),
        zones=zones,
        roads=roads,
        catalogue=catalogue(session=session),
    )


class FactsHolder:
    """The served app's facts of the active generation, loaded on first use and again when
    a write finds the generation changed (one load at a time, in a worker thread)."""

    def __init__(self, sessions: sessionmaker[Session]) -> None:
        self._sessions = sessions
        self._facts: CityFacts | None = None
        self._stale = False  # the catalogue changed: load again on the next use
        self._lock = asyncio.Lock()

    @property
    def generation(self) -> int | None:
        """The generation of the facts loaded last (None: none yet)."""
        return None if self._facts is None else self._facts.generation

    async def current(self) -> CityFacts:
        """The facts loaded last (loading them the first time, and again after ``forget``)."""
        facts = self._facts
        return facts if facts is not None and not self._stale else await self._replace(facts)

    def forget(self) -> None:
        """The department catalogue changed: load the facts again on their next use (the
        requests already routing keep the facts they have)."""
        self._stale = True

    async def reload(self, *, stale: CityFacts) -> CityFacts:
        """Load the active generation instead of ``stale``, unless another request already
        replaced it."""
        return await self._replace(stale)

    async def _replace(self, stale: CityFacts | None) -> CityFacts:
        async with self._lock:
            if self._facts is stale:
                self._stale = False
                self._facts = await asyncio.to_thread(self._load)
            assert self._facts is not None
            return self._facts

    def _load(self) -> CityFacts:
        with self._sessions() as session:
            return load_city_facts(session=session)


LISTENER_NAME = "gridwhistle catalogue listener"  # what pg_stat_activity shows for it


def catalogue_listener(
    dsn: str, *, on_change: Callable[[], None], retry_s: float = 1.0
) -> Listener:
    """Hears the catalogue being loaded (``gridwhistle catalogues load`` notifies on commit)
    and calls ``on_change``; also after its connection was lost and made again, since a load
    may have been missed meanwhile."""
    return Listener(
        dsn,
        channel=CATALOGUE_CHANNEL,
        name=LISTENER_NAME,
        on_notify=on_change,
        retry_s=retry_s,
    )
