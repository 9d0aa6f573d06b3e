"""What the inbox routes answer."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, computed_field


class NotificationPublic(BaseModel):
    """One notification: the case, what happened (kind and plain-Chinese text), when, read."""

    model_config = ConfigDict(from_attributes=True)

    id: int
    case_id: int
    event_id: int
    kind: str
    text: str
    at: datetime
    read_at: datetime | None

    @computed_field  # type: ignore[prop-decorator]
    @property
    def read(self) -> bool:
        return self.read_at is not None


class NotificationsPublic(BaseModel):
    """The caller's notifications, newest first, and how many are unread in all."""

    notifications: list[NotificationPublic]
    unread: int


class ReadAllPublic(BaseModel):
    """How many notifications were marked read; none is unread now."""

    marked: int
    unread: int
