"""Pydantic schemas of the department and category catalogues."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field


class DepartmentPublic(BaseModel):
    """A department of a district or of the city."""

    model_config = ConfigDict(from_attributes=True)

    code: str
    name: str
    kind: str
    level: str
    district_code: str | None


class CategoryPublic(BaseModel):
    """An event or component category, with the words callers use for it (the classifier's
    keywords and synonyms, ``data/complaints/keywords.csv``) so a picker can search them."""

    model_config = ConfigDict(from_attributes=True)

    code: str
    name: str
    parent_code: str | None
    kind: str
    keywords: list[str] = Field(default_factory=list)
