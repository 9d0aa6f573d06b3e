"""Pydantic schemas of call-backs (回访): the result, the lead street's decision, the queue."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from api.inputs import Input


class CallbackCreate(Input):
    """What the caller said: 满意, 基本满意 or 不满意 (不满意 needs the reason)."""

    result: Literal["满意", "基本满意", "不满意"]
    reason: str = Field(default="", max_length=2_000)


class CallbackDecision(Input):
    """The lead street accepts a 不满意 call-back (the case is redone) or declines it (why)."""

    accept: bool
    reason: str = Field(default="", max_length=2_000)


class CallbackPublic(BaseModel):
    """One call-back and, for a 不满意, the lead street's decision."""

    model_config = ConfigDict(from_attributes=True)

    id: int
    case_id: int
    result: str
    stars: int
    reason: str | None
    called_at: datetime
    decision: str | None
    decided_at: datetime | None
    decision_reason: str | None


class CallbackItemPublic(BaseModel):
    """A case in the call-back queue: ``pending`` (to call), ``review`` (不满意, the lead
    street decides) or ``done``; ``callback`` is the latest call-back, if any."""

    case_id: int
    status: Literal["pending", "review", "done"]
    case_status: str
    category: str
    description: str
    lead_street_code: str
    resolution_level: str | None
    resolved_at: datetime | None
    verified_at: datetime | None
    callback: CallbackPublic | None


class CallbacksPublic(BaseModel):
    """One page of the call-back queue."""

    status: str
    total: int
    items: list[CallbackItemPublic]
