"""ORM model: one call-back (回访) of a hotline case and the lead street's decision on it."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import DateTime, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from api.db.base import Base


class Callback(Base):
    """The 12345 centre called the caller back on a verified hotline case.

    满意 and 基本满意 close the case; 不满意 (with a reason) waits for the lead street, which
    accepts it (the case is reopened: 重办) or declines it with a reason (the case closes).
    """

    __tablename__ = "callbacks"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), index=True)
    result: Mapped[str] = mapped_column(String(8))  # 满意 | 基本满意 | 不满意
    stars: Mapped[int] = mapped_column(Integer)  # the result on the 1–5 star scale
    reason: Mapped[str | None] = mapped_column(Text)
    called_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    called_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    decision: Mapped[str | None] = mapped_column(String(8))  # accepted | declined (不满意 only)
    decided_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    decided_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    decision_reason: Mapped[str | None] = mapped_column(Text)
