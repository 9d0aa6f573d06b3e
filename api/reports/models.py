"""ORM models: reports (pins and footprints) and their photos."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from geoalchemy2 import Geometry, WKBElement
from sqlalchemy import (
    CheckConstraint,
    DateTime,
    Float,
    ForeignKey,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
    func,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from api.db.base import Base


class Report(Base):
    """One report as submitted, located and routed when it arrived."""

    __tablename__ = "reports"
    __table_args__ = (
        UniqueConstraint("reporter_id", "idempotency_key", name="uq_reports_reporter_key"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), index=True)
    reporter_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    reporter_name: Mapped[str] = mapped_column(Text, default="")
    source: Mapped[str] = mapped_column(String(12))
    category: Mapped[str] = mapped_column(String(16))
    description: Mapped[str] = mapped_column(Text, default="")
    crs: Mapped[str] = mapped_column(String(10))
    accuracy_m: Mapped[float | None] = mapped_column(Float)
    geom: Mapped[WKBElement] = mapped_column(Geometry("GEOMETRY", srid=4326, spatial_index=False))
    generation: Mapped[int] = mapped_column(ForeignKey("generations.id"))
    routing: Mapped[dict[str, Any]] = mapped_column(JSONB)
    idempotency_key: Mapped[str | None] = mapped_column(String(128))
    request_hash: Mapped[str] = mapped_column(String(64))
    attached: Mapped[bool] = mapped_column(default=False)
    # a hotline report located by the caller's words: the words, the geocoding status and
    # the candidate taken (None for a report with a geometry)
    address_text: Mapped[str | None] = mapped_column(Text)
    address_status: Mapped[str | None] = mapped_column(String(10))
    address_candidate: Mapped[dict[str, Any] | None] = mapped_column(JSONB)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


class ReportPhoto(Base):
    """A photo attached to a report or to a department's resolution (type- and size-checked)."""

    __tablename__ = "report_photos"
    # a report's photo (before) or an after-photo of an assignment's resolution, not both
    __table_args__ = (
        CheckConstraint("num_nonnulls(report_id, assignment_id) = 1", name="one_owner"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    report_id: Mapped[int | None] = mapped_column(ForeignKey("reports.id"), index=True)
    assignment_id: Mapped[int | None] = mapped_column(ForeignKey("assignments.id"), index=True)
    content_type: Mapped[str] = mapped_column(String(32))
    size: Mapped[int] = mapped_column(Integer)
    sha256: Mapped[str] = mapped_column(String(64))
    data: Mapped[bytes] = mapped_column(LargeBinary)
