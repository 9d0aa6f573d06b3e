"""ORM models of the department and category catalogues (loaded from data/)."""

from __future__ import annotations

from sqlalchemy import CheckConstraint, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from api.db.base import Base


class Department(Base):
    """A department (委办局) of a district or of the city."""

    __tablename__ = "departments"
    __table_args__ = (CheckConstraint("level IN ('district', 'city')", name="level"),)

    code: Mapped[str] = mapped_column(String(32), primary_key=True)
    name: Mapped[str] = mapped_column(Text)
    kind: Mapped[str] = mapped_column(String(16), index=True)
    level: Mapped[str] = mapped_column(String(8))
    district_code: Mapped[str | None] = mapped_column(String(6), index=True)


class Category(Base):
    """An event or component category (in the spirit of GB/T 30428.2)."""

    __tablename__ = "categories"
    __table_args__ = (CheckConstraint("kind IN ('event', 'component')", name="kind"),)

    code: Mapped[str] = mapped_column(String(16), primary_key=True)
    name: Mapped[str] = mapped_column(Text)
    parent_code: Mapped[str | None] = mapped_column(String(16))
    kind: Mapped[str] = mapped_column(String(12))
