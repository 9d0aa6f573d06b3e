"""ORM models of the geography. Every versioned row carries generation_low/high (MapIt).

A row is in force in generation g when generation_low <= g <= generation_high. Each import
makes a new generation; rows of levels not imported are carried over by raising their
generation_high.
"""

from __future__ import annotations

from datetime import datetime

from geoalchemy2 import Geometry, WKBElement
from sqlalchemy import (
    Boolean,
    CheckConstraint,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    func,
)
from sqlalchemy.orm import Mapped, mapped_column

from api.db.base import Base

LEVEL_VALUES = "('district', 'street', 'community', 'grid')"


class Generation(Base):
    """One import of boundaries (or of the demo city)."""

    __tablename__ = "generations"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    description: Mapped[str] = mapped_column(Text)
    levels: Mapped[str] = mapped_column(String(64))
    source: Mapped[str | None] = mapped_column(Text)
    fingerprint: Mapped[str | None] = mapped_column(String(64))


class Versioned:
    """Columns shared by generation-versioned rows."""

    generation_low: Mapped[int] = mapped_column(ForeignKey("generations.id"))
    generation_high: Mapped[int] = mapped_column(ForeignKey("generations.id"))
    synthetic: Mapped[bool] = mapped_column(Boolean, default=False)


class Area(Versioned, Base):
    """A district, street, community or grid cell (MultiPolygon, EPSG:4326)."""

    __tablename__ = "areas"
    __table_args__ = (
        UniqueConstraint("level", "code", "generation_low", name="uq_areas_level_code_gen"),
        CheckConstraint(f"level IN {LEVEL_VALUES}", name="level"),
        CheckConstraint("generation_low <= generation_high", name="generation_order"),
        Index("ix_areas_level_generation", "level", "generation_low", "generation_high"),
        Index("ix_areas_geom", "geom", postgresql_using="gist"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    level: Mapped[str] = mapped_column(String(12))
    code: Mapped[str] = mapped_column(String(15), index=True)
    name: Mapped[str] = mapped_column(Text)
    parent_code: Mapped[str | None] = mapped_column(String(15), index=True)
    area_m2: Mapped[float] = mapped_column(Float)
    geom: Mapped[WKBElement] = mapped_column(
        Geometry("MULTIPOLYGON", srid=4326, spatial_index=False)
    )


class AreaPart(Base):
    """An ST_Subdivide'd piece of an area: small polygons for fast point lookups."""

    __tablename__ = "area_parts"
    __table_args__ = (Index("ix_area_parts_geom", "geom", postgresql_using="gist"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    area_id: Mapped[int] = mapped_column(ForeignKey("areas.id", ondelete="CASCADE"), index=True)
    geom: Mapped[WKBElement] = mapped_column(Geometry("POLYGON", srid=4326, spatial_index=False))


class Chief(Versioned, Base):
    """A street-and-alley chief (街巷长) responsible for named streets and alleys."""

    __tablename__ = "chiefs"
    __table_args__ = (UniqueConstraint("ref", "generation_low", name="uq_chiefs_ref_gen"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    ref: Mapped[str] = mapped_column(String(32), index=True)
    name: Mapped[str] = mapped_column(Text)
    title: Mapped[str] = mapped_column(Text)
    street_code: Mapped[str] = mapped_column(String(9), index=True)


class Road(Versioned, Base):
    """A named street (街/路) or alley (胡同/巷) as a line, with its chief."""

    __tablename__ = "roads"
    __table_args__ = (
        UniqueConstraint("ref", "generation_low", name="uq_roads_ref_gen"),
        CheckConstraint("kind IN ('street', 'alley')", name="kind"),
        Index("ix_roads_geom", "geom", postgresql_using="gist"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    ref: Mapped[str] = mapped_column(String(32), index=True)
    name: Mapped[str] = mapped_column(Text)
    kind: Mapped[str] = mapped_column(String(8))
    street_code: Mapped[str] = mapped_column(String(9), index=True)
    chief_ref: Mapped[str | None] = mapped_column(String(32))
    geom: Mapped[WKBElement] = mapped_column(
        Geometry("MULTILINESTRING", srid=4326, spatial_index=False)
    )


class LandUseZone(Versioned, Base):
    """A land-use zone (river, farmland, forest) that can decide the leading department."""

    __tablename__ = "land_use_zones"
    __table_args__ = (
        UniqueConstraint("code", "generation_low", name="uq_land_use_zones_code_gen"),
        Index("ix_land_use_zones_geom", "geom", postgresql_using="gist"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = mapped_column(String(16), index=True)
    kind: Mapped[str] = mapped_column(String(16))
    name: Mapped[str] = mapped_column(Text)
    district_code: Mapped[str | None] = mapped_column(String(6))
    geom: Mapped[WKBElement] = mapped_column(
        Geometry("MULTIPOLYGON", srid=4326, spatial_index=False)
    )
