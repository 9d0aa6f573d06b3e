"""ORM model of historical events (the simulated year, imports) used by the analytics."""

from __future__ import annotations

from datetime import datetime

from geoalchemy2 import Geometry, WKBElement
from sqlalchemy import Boolean, DateTime, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from api.db.base import Base


class Event(Base):
    """One located event (patrol report or hotline call) for hotspot statistics."""

    __tablename__ = "events"
    __table_args__ = (
        Index("ix_events_geom", "geom", postgresql_using="gist"),
        Index("ix_events_at_category", "at", "category"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    ref: Mapped[str] = mapped_column(String(32), unique=True)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    category: Mapped[str] = mapped_column(String(16))
    source: Mapped[str] = mapped_column(String(12))
    geom: Mapped[WKBElement] = mapped_column(Geometry("POINT", srid=4326, spatial_index=False))
    grid_code: Mapped[str | None] = mapped_column(String(15), index=True)
    community_code: Mapped[str | None] = mapped_column(String(12))
    street_code: Mapped[str | None] = mapped_column(String(9), index=True)
    district_code: Mapped[str | None] = mapped_column(String(6))
    pattern: Mapped[str] = mapped_column(String(32), default="")
    synthetic: Mapped[bool] = mapped_column(Boolean, default=True)
