"""The declarative base shared by every ORM model."""

from __future__ import annotations

from sqlalchemy import MetaData
from sqlalchemy.orm import DeclarativeBase

INT4_MAX = 2**31 - 1
"""The largest id (ids and generations are PostgreSQL integers): input above it is refused
before a query fails on it."""

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    """Base class of all models; constraint names follow NAMING."""

    metadata = MetaData(naming_convention=NAMING)
