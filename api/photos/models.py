"""ORM model: a photo's thumbnail, made on its first request and kept."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import DateTime, ForeignKey, Integer, LargeBinary, String, func
from sqlalchemy.orm import Mapped, mapped_column

from api.db.base import Base


class PhotoThumbnail(Base):
    """A photo resized to fit ``side`` pixels (JPEG, or PNG for PNG and transparent photos)."""

    __tablename__ = "photo_thumbnails"

    photo_id: Mapped[int] = mapped_column(
        ForeignKey("report_photos.id", ondelete="CASCADE"), primary_key=True
    )
    side: Mapped[int] = mapped_column(Integer, primary_key=True)
    content_type: Mapped[str] = mapped_column(String(32))
    width: Mapped[int] = mapped_column(Integer)
    height: Mapped[int] = mapped_column(Integer)
    data: Mapped[bytes] = mapped_column(LargeBinary)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
