"""Queries and writes of the address register: versions, import, listing, the geocoder."""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence

import geopandas as gpd
import pandas as pd
from sqlalchemy import func, or_, select, text
from sqlalchemy.orm import Session

from api.addresses.models import AddressEntry
from api.errors import Conflict
from api.geography.models import Area, Generation
from api.geography.service import active_generation, load_levels, read_level
from geo.codes import Level
from geo.geocode import Geocoder
from grids.addresses import COLUMNS, RegisterReport, as_register, validate_register

_LEVEL_FRAMES = {
    "districts": Level.DISTRICT,
    "streets": Level.STREET,
    "communities": Level.COMMUNITY,
    "cells": Level.GRID,
}


def _in_generation(gen: int):  # type: ignore[no-untyped-def]
    return (AddressEntry.generation_low <= gen) & (AddressEntry.generation_high >= gen)


def register_version(*, session: Session) -> int | None:
    """The generation holding the active register (None when no generation exists)."""
    return active_generation(session=session)


def count_entries(*, session: Session, generation: int | None = None) -> int:
    """Number of register entries in ``generation`` (default: active)."""
    gen = generation if generation is not None else active_generation(session=session)
    if gen is None:
        return 0
    return int(session.scalar(select(func.count()).where(_in_generation(gen))) or 0)


def read_entries(*, session: Session, generation: int | None = None) -> gpd.GeoDataFrame:
    """The register of ``generation`` (default: active) in the register's columns."""
    gen = generation if generation is not None else active_generation(session=session)
    if gen is None:
        return as_register(pd.DataFrame())
    columns = [AddressEntry.ref.label("id")] + [
        getattr(AddressEntry, c) for c in COLUMNS if c != "id"
    ]
    stmt = select(*columns).where(_in_generation(gen)).order_by(AddressEntry.ref)
    rows = session.execute(stmt).mappings().all()
    frame = pd.DataFrame([dict(r) for r in rows], columns=list(COLUMNS))
    return as_register(frame)


def read_roads(*, session: Session, generation: int | None = None) -> gpd.GeoDataFrame:
    """The named roads (name, line) of ``generation`` (default: active)."""
    gen = generation if generation is not None else active_generation(session=session)
    query = text(
        "SELECT name, geom AS geometry FROM roads "
        "WHERE generation_low <= :gen AND generation_high >= :gen ORDER BY ref"
    )
    return gpd.read_postgis(query, session.connection(), geom_col="geometry", params={"gen": gen})


def area_names(*, session: Session, generation: int | None = None) -> dict[str, str]:
    """Code → name of every district, street and community of ``generation``."""
    gen = generation if generation is not None else active_generation(session=session)
    if gen is None:
        return {}
    stmt = select(Area.code, Area.name).where(
        Area.level.in_(["district", "street", "community"]),
        Area.generation_low <= gen,
        Area.generation_high >= gen,
    )
    return {str(code): str(name) for code, name in session.execute(stmt)}


def validate_against_geography(*, session: Session, frame: gpd.GeoDataFrame) -> RegisterReport:
    """``validate_register`` against the active districts, streets, communities, cells and
    roads; Conflict when no boundaries are loaded."""
    if active_generation(session=session) is None:
        raise Conflict("no boundaries are loaded; load the demo or import boundaries first")
    layers = {key: read_level(session=session, level=level) for key, level in _LEVEL_FRAMES.items()}
    return validate_register(
        frame,
        districts=layers["districts"],
        streets=layers["streets"],
        communities=layers["communities"],
        cells=layers["cells"],
        roads=read_roads(session=session),
    )


def import_register(
    *, session: Session, frame: gpd.GeoDataFrame, source: str
) -> tuple[RegisterReport, Generation | None]:
    """Validate ``frame``; if clean, write it as a new register version (a generation whose
    areas, roads and chiefs carry over). Nothing is written when a row is wrong. Caller
    commits."""
    report = validate_against_geography(session=session, frame=frame)
    if not report.ok:
        return report, None
    generation = load_levels(
        session=session,
        frames={},
        description="import addresses",
        source=source,
        features={"addresses": frame},
    )
    return report, generation


def list_entries(
    *,
    session: Session,
    street: str | None = None,
    q: str | None = None,
    limit: int = 50,
    generation: int | None = None,
) -> list[AddressEntry]:
    """Entries of ``generation`` (default: active) in a street and/or whose text or name
    holds ``q``, by text."""
    gen = generation if generation is not None else active_generation(session=session)
    if gen is None:
        return []
    stmt = select(AddressEntry).where(_in_generation(gen))
    if street:
        stmt = stmt.where(AddressEntry.street_code == street)
    if q:
        pattern = "%" + q.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        stmt = stmt.where(or_(AddressEntry.text.like(pattern), AddressEntry.name.like(pattern)))
    return list(session.scalars(stmt.order_by(AddressEntry.text).limit(limit)))


class GeocoderHolder:
    """One ``Geocoder`` per process and database, built on first use from the active
    register version and built again when the active generation changes.

    One build at a time: a caller arriving while another builds (a request while the app
    warms up) waits for that build and takes it. ``builds`` counts them."""

    def __init__(self, build: Callable[[Session, int], Geocoder] | None = None) -> None:
        self._build = build or build_geocoder
        self._lock = threading.Lock()
        self._key: tuple[str, int] | None = None
        self._geocoder: Geocoder | None = None
        self.builds = 0

    def current(self, *, session: Session) -> Geocoder:
        """The geocoder of the active register version (Conflict when there is none)."""
        gen = active_generation(session=session)
        if gen is None:
            raise Conflict("no boundaries and no address register are loaded")
        key = (str(session.get_bind().engine.url), gen)
        with self._lock:
            if self._geocoder is None or self._key != key:
                self._geocoder, self._key = self._build(session, gen), key
                self.builds += 1
            return self._geocoder

    def forget(self) -> None:
        """Drop the geocoder (the next call builds it again)."""
        with self._lock:
            self._geocoder, self._key = None, None


def describe_positions(
    *, session: Session, points: Sequence[tuple[float, float]]
) -> list[str | None]:
    """Each (lon, lat) described from the nearest register entry within 100 m
    ("平昌街1号东侧约30米"; None beyond), all in one search of the geocoder's index."""
    if not points:
        return []
    try:
        geocoder = GEOCODER.current(session=session)
    except Conflict:  # no boundaries loaded: nothing to describe from
        return [None] * len(points)
    lons, lats = zip(*points, strict=True)
    return [None if found is None else found.text for found in geocoder.reverse_many(lons, lats)]


def build_geocoder(session: Session, generation: int) -> Geocoder:
    """A geocoder over the register and area names of ``generation``.

    The register is read as plain rows (the geocoder needs no geometry column and no ORM
    objects: 43,000 entries in well under a second)."""
    columns = [getattr(AddressEntry, c) for c in COLUMNS if c != "id"]
    stmt = select(*columns).where(_in_generation(generation)).order_by(AddressEntry.ref)
    rows = session.execute(stmt).all()
    values = zip(*rows, strict=True) if rows else ([] for _ in columns)
    register = pd.DataFrame(
        {c.key: pd.Series(v, dtype=object) for c, v in zip(columns, values, strict=True)}
    )
    return Geocoder(register, area_names=area_names(session=session, generation=generation))


GEOCODER = GeocoderHolder()
"""The process's geocoder."""
