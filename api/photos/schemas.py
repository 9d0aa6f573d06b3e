"""Pydantic schemas of photos: as a case lists them, and the limits the pages check."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel


class PhotoPublic(BaseModel):
    """A photo of a case: ``before`` (a report's) or ``after`` (a department's resolution)."""

    id: int
    kind: Literal["before", "after"]
    content_type: str
    size: int
    report_id: int | None
    assignment_id: int | None
    department_code: str | None  # the department that attached an after-photo
    url: str  # the original
    thumb_url: str


class PhotoLimits(BaseModel):
    """What a report or a resolution may carry: photos checked by content, not by name."""

    max_photos: int
    max_bytes: int
    content_types: list[str]
    thumb_side: int
