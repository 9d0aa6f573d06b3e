"""Stored events for the analytics: bulk load (COPY) and read back as a DataFrame."""

from __future__ import annotations

from collections.abc import Hashable, Mapping
from datetime import datetime
from typing import Any

import pandas as pd
from sqlalchemy import delete, func, select, text
from sqlalchemy.orm import Session

from api.db.statements import Query, rows
from api.hotspots.models import Event
from geo.hotspots import TIMEZONE

COLUMNS = (
    "ref",
    "at",
    "category",
    "source",
    "geom",
    "grid_code",
    "community_code",
    "street_code",
    "district_code",
    "pattern",
    "synthetic",
)

# historical events and the reports that arrived through the service, one row per event
_COLUMNS = (
    "event_id",
    "at",
    "category",
    "source",
    "lon",
    "lat",
    "grid_code",
    "community_code",
    "street_code",
    "district_code",
    "pattern",
)

_EVENTS = """
SELECT e.ref AS event_id, e.at, e.category, e.source, ST_X(e.geom) AS lon, ST_Y(e.geom) AS lat,
       coalesce(e.grid_code, '') AS grid_code, coalesce(e.community_code, '') AS community_code,
       coalesce(e.street_code, '') AS street_code, coalesce(e.district_code, '') AS district_code,
       e.pattern
  FROM events e
 UNION ALL
SELECT 'R' || r.id, r.created_at, r.category, r.source, ST_X(ST_PointOnSurface(r.geom)),
       ST_Y(ST_PointOnSurface(r.geom)), coalesce(c.grid_code, ''), coalesce(c.community_code, ''),
       c.lead_street_code, c.district_code, ''
  FROM reports r JOIN cases c ON c.id = r.case_id
"""


def load_events(*, session: Session, events: pd.DataFrame, replace: bool = False) -> int:
    """COPY located events (event_id, at, lon, lat, category, source, codes, pattern) in."""
    if replace:
        session.execute(delete(Event))
    raw = session.connection().connection.dbapi_connection
    assert raw is not None
    columns = ", ".join(COLUMNS)
    with raw.cursor() as cursor, cursor.copy(f"COPY events ({columns}) FROM STDIN") as copy:  # type: ignore[attr-defined]
        for row in events.to_dict("records"):
            copy.write_row(_copy_row(row))
    return len(events)


def _copy_row(row: Mapping[Hashable, Any]) -> tuple[object, ...]:
    return (
        row["event_id"],
        pd.Timestamp(row["at"]).isoformat(),
        row["category"],
        row["source"],
        f"SRID=4326;POINT({row['lon']!r} {row['lat']!r})",
        row["grid_code"] or None,
        row["community_code"] or None,
        row["street_code"] or None,
        row["district_code"] or None,
        row.get("pattern") or "",
        True,
    )


def event_count(*, session: Session) -> int:
    """How many historical events are stored."""
    return int(session.scalar(select(func.count()).select_from(Event)) or 0)


def events_frame(
    *,
    session: Session,
    since: datetime | None = None,
    until: datetime | None = None,
    category: str | None = None,
    street_prefix: str | None = None,
) -> pd.DataFrame:
    """Events (historical and reported) as a DataFrame, filtered in SQL."""
    where: list[str] = ["TRUE"]
    params: dict[str, object] = {}
    if since is not None:
        where.append("at >= :since")
        params["since"] = since
    if until is not None:
        where.append("at < :until")
        params["until"] = until
    if category:
        where.append("category LIKE :category")
        params["category"] = f"{category}%"
    if street_prefix:
        where.append("street_code LIKE :street")
        params["street"] = f"{street_prefix}%"
    # Raw, with the time as epoch microseconds: tens of thousands of rows become plain numbers
    # (no ORM rows, no tz-aware datetime objects), about twice as fast to a DataFrame.
    columns = ", ".join(
        "(extract(epoch FROM at) * 1000000)::bigint AS at" if c == "at" else c for c in _COLUMNS
    )
    sql = (
        f"SELECT {columns} FROM ({_EVENTS}) ev WHERE {' AND '.join(where)} ORDER BY ev.at, event_id"
    )
    found = rows(session, Query(text(sql), params))
    frame = pd.DataFrame.from_records(found, columns=list(_COLUMNS))
    frame["at"] = pd.to_datetime(frame["at"].astype("int64"), unit="us", utc=True).dt.tz_convert(
        TIMEZONE
    )
    return frame
