"""Reads for the map pages: outlines, areas, chiefs and their roads, open and overdue
whistles."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import geopandas as gpd
from sqlalchemy import ColumnElement, exists, func, select, text
from sqlalchemy.orm import Session

from api.cases.models import Case, CaseStreet
from api.cases.queries import overdue_condition
from api.departments.models import Category
from api.errors import NotFound
from api.geography import service
from api.geography.models import Area, Chief
from api.whistles.models import Assignment
from geo.codes import Level

Pin = tuple[float, float, str]  # lat, lon, label
# a whistle went out and departments are at work (a dispute waits for the street)
OPEN_WHISTLES = ("whistled", "disputed")


def features(collection: dict[str, object]) -> list[dict[str, Any]]:
    """The features of a FeatureCollection dict."""
    found = collection.get("features", [])
    return list(found) if isinstance(found, list) else []


def outlines(
    *, session: Session, level: Level, prefix: str | None, simplify_m: float = 3.0
) -> dict[str, Any]:
    """One level's outlines (codes starting with ``prefix``, or all) as a FeatureCollection."""
    collection = service.areas_geojson(
        session=session, level=level, simplify_m=simplify_m, limit=10_000
    )
    chosen = [
        f
        for f in features(collection)
        if prefix is None or str(f["properties"]["code"]).startswith(prefix)
    ]
    return {"type": "FeatureCollection", "features": chosen}


def area_name(*, session: Session, level: Level, code: str, field: str = "code") -> str:
    """The name of the area ``code`` at ``level`` in the active generation, else a 404
    naming ``field`` (the parameter that gave the code)."""
    gen = service.active_generation(session=session)
    name = None
    if gen is not None:
        name = session.scalar(
            select(Area.name).where(
                Area.level == str(level),
                Area.code == code,
                Area.generation_low <= gen,
                Area.generation_high >= gen,
            )
        )
    if name is None:
        label = {Level.DISTRICT: "district", Level.STREET: "street"}.get(level, str(level))
        raise NotFound(f"no {label} {code} in the active generation", field=field)
    return str(name)


def category_text(*, session: Session, code: str | None) -> str:
    """A page's category filter in words: 类别：占道经营（E0401）, or 全部类别."""
    if not code:
        return "全部类别"
    name = session.scalar(select(Category.name).where(Category.code == code))
    return f"类别：{name}（{code}）" if name else f"类别：{code}"


def chief(*, session: Session, chief_ref: str, field: str = "chief_ref") -> Chief:
    """The street-and-alley chief ``chief_ref`` of the active generation, else a 404 naming
    ``field`` (the parameter that gave the ref)."""
    gen = service.active_generation(session=session)
    found = None
    if gen is not None:
        found = session.scalars(
            select(Chief).where(
                Chief.ref == chief_ref, Chief.generation_low <= gen, Chief.generation_high >= gen
            )
        ).first()
    if found is None:
        raise NotFound(f"no street-and-alley chief {chief_ref}", field=field)
    return found


def roads(
    *, session: Session, chief_ref: str | None = None, prefix: str | None = None
) -> gpd.GeoDataFrame:
    """Roads of the active generation (one chief's, or within a street/district code prefix)
    with their chief's name and title."""
    gen = service.active_generation(session=session)
    where = ["r.generation_low <= :gen", "r.generation_high >= :gen"]
    params: dict[str, object] = {"gen": gen}
    if chief_ref is not None:
        where.append("r.chief_ref = :ref")
        params["ref"] = chief_ref
    if prefix:
        where.append("r.street_code LIKE :prefix")
        params["prefix"] = f"{prefix}%"
    query = text(
        "SELECT r.ref AS id, r.name, r.kind, r.street_code, coalesce(c.name, '') AS chief, "
        "coalesce(c.title, '') AS title, r.geom AS geometry FROM roads r "
        "LEFT JOIN chiefs c ON c.ref = r.chief_ref "
        "AND c.generation_low <= :gen AND c.generation_high >= :gen "
        f"WHERE {' AND '.join(where)} ORDER BY r.ref"
    )
    return gpd.read_postgis(query, session.connection(), geom_col="geometry", params=params)


def _touching(prefix: str) -> ColumnElement[bool]:
    """The case touches a street under ``prefix`` (a street or district code)."""
    return exists(
        select(CaseStreet.case_id).where(
            CaseStreet.case_id == Case.id, CaseStreet.street_code.startswith(prefix)
        )
    )


def overdue(*, session: Session, prefix: str, now: datetime) -> list[Pin]:
    """Cases touching streets under ``prefix`` (a street or district code) with overdue
    assignments, one pin per case."""
    in_scope = _touching(prefix)
    rows = session.execute(
        select(
            Case.id,
            Case.category,
            func.ST_Y(Case.position),
            func.ST_X(Case.position),
            func.count(Assignment.id),
        )
        .join(Assignment, Assignment.case_id == Case.id)
        .where(in_scope, overdue_condition(now))
        .group_by(Case.id)
        .order_by(Case.id)
    ).all()
    return [
        (float(lat), float(lon), f"案件 {case_id}（{category}）：{n} 项派单超期")
        for case_id, category, lat, lon, n in rows
    ]


def in_time(*, session: Session, prefix: str, now: datetime) -> list[Pin]:
    """Whistled cases touching streets under ``prefix`` with no overdue assignment (the open
    whistles still in time), one pin per case."""
    in_scope = _touching(prefix)
    late = exists(
        select(Assignment.id).where(Assignment.case_id == Case.id, overdue_condition(now))
    )
    rows = session.execute(
        select(Case.id, Case.category, func.ST_Y(Case.position), func.ST_X(Case.position))
        .where(in_scope, Case.status.in_(OPEN_WHISTLES), ~late)
        .order_by(Case.id)
    ).all()
    return [
        (float(lat), float(lon), f"案件 {case_id}（{category}）：已吹哨，办理中")
        for case_id, category, lat, lon in rows
    ]


def event_span(*, session: Session) -> tuple[datetime, datetime] | None:
    """The first and last moment of any stored event or report (None when there are none)."""
    first, last = session.execute(
        text(
            "SELECT least((SELECT min(at) FROM events), (SELECT min(created_at) FROM reports)), "
            "greatest((SELECT max(at) FROM events), (SELECT max(created_at) FROM reports))"
        )
    ).one()
    return None if first is None else (first, last)
