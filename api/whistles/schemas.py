"""Pydantic schemas of the whistle board and the extension listing."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, Field

from api.cases.schemas import AssignmentPublic, ExtensionPublic, SitePublic
from api.cases.workflow import AssignmentAction
from api.deadlines.supervision import Level
from api.photos.schemas import PhotoPublic


class StreetSummary(BaseModel):
    """A street party to a case, by name."""

    code: str
    name: str
    share: float


class CaseSummary(BaseModel):
    """What a board card shows of the case behind an assignment."""

    id: int
    status: str
    category: str
    description: str
    lead_street_code: str
    grid_code: str | None
    created_at: datetime
    joint: bool
    streets: list[StreetSummary]
    photos: list[PhotoPublic] = []  # before (the reports'), then after (the departments')
    after_photos_required: int = 0  # what the overall lead's resolution must bring (policy)
    site: SitePublic | None = None  # where to go: the point, its nearest road, map-app coordinates


class BoardAssignment(AssignmentPublic):
    """An assignment on the whistle board, with its supervision level and its case."""

    supervision: Level
    case: CaseSummary
    # what the caller may do to it now (签收, 到场, 办结 …, the lead street's extension decision)
    allowed_actions: list[AssignmentAction] = Field(default_factory=list)


class ExtensionListed(ExtensionPublic):
    """An extension request with the case, department and times it concerns."""

    case_id: int
    department_code: str
    requested_at: datetime
    decided_at: datetime | None
    decision_note: str | None
