"""Pydantic schemas of the geography API."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict


class GenerationPublic(BaseModel):
    """A boundary generation as the API shows it."""

    model_config = ConfigDict(from_attributes=True)

    id: int
    created_at: datetime
    description: str
    levels: str
    source: str | None


class GenerationsPublic(BaseModel):
    """All generations and which one is active."""

    active: int | None
    data: list[GenerationPublic]
