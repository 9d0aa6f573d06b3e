"""ORM model of the standard address register: one row per entry and register version.

Register versions follow the boundary generations' rule (``api.geography.models``): an entry
is in force in generation g when generation_low <= g <= generation_high; importing a
register writes a new generation and leaves the old rows readable in theirs.
"""

from __future__ import annotations

from geoalchemy2 import Geometry, WKBElement
from sqlalchemy import CheckConstraint, Float, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from api.db.base import Base
from api.geography.models import Versioned

KIND_VALUES = "('plate', 'compound', 'building', 'village', 'poi')"


class AddressEntry(Versioned, Base):
    """A door plate, compound, building, village house or place (Point, EPSG:4326); ``ref``
    is the register's own id."""

    __tablename__ = "address_entries"
    __table_args__ = (
        UniqueConstraint("ref", "generation_low", name="uq_address_entries_ref_gen"),
        CheckConstraint(f"kind IN {KIND_VALUES}", name="kind"),
        CheckConstraint("side IN ('', 'odd', 'even')", name="side"),
        CheckConstraint("generation_low <= generation_high", name="generation_order"),
        Index("ix_address_entries_generation", "generation_low", "generation_high"),
        Index("ix_address_entries_geom", "geom", postgresql_using="gist"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    ref: Mapped[str] = mapped_column(String(32), index=True)
    text: Mapped[str] = mapped_column(Text)
    kind: Mapped[str] = mapped_column(String(10))
    road: Mapped[str] = mapped_column(Text, default="")
    number: Mapped[int | None] = mapped_column(Integer)
    suffix: Mapped[str] = mapped_column(String(8), default="")
    side: Mapped[str] = mapped_column(String(4), default="")
    name: Mapped[str] = mapped_column(Text, default="")
    building: Mapped[int | None] = mapped_column(Integer)
    group: Mapped[int | None] = mapped_column(Integer)
    lon: Mapped[float] = mapped_column(Float)
    lat: Mapped[float] = mapped_column(Float)
    grid_code: Mapped[str] = mapped_column(String(15))
    community_code: Mapped[str] = mapped_column(String(12))
    street_code: Mapped[str] = mapped_column(String(9), index=True)
    district_code: Mapped[str] = mapped_column(String(6))
    geom: Mapped[WKBElement] = mapped_column(Geometry("POINT", srid=4326, spatial_index=False))
