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


class DepartmentPublic(BaseModel):
    """A department of a district or of the city."""

    model_config = ConfigDict(from_attributes=True)

    code: str
    name: str
    kind: str
    level: str
    district_code: str | None


class CategoryPublic(BaseModel):
    """An event or component category."""

    model_config = ConfigDict(from_attributes=True)

    code: str
    name: str
    parent_code: str | None
    kind: str
