"""ORM model of the data marks the map and tile caches compare (migration 0013)."""

from __future__ import annotations

from sqlalchemy import BigInteger, Integer
from sqlalchemy.orm import Mapped, mapped_column

from api.db.base import Base


class DataMark(Base):
    """The last data mark of one database connection (its backend pid; 0 holds the marks of
    connections that have ended). Written only by the ``bump_data_mark`` trigger."""

    __tablename__ = "data_marks"

    backend: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    mark: Mapped[int] = mapped_column(BigInteger)
