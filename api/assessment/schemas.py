"""Pydantic schemas of whistle scores, scoreboards and should-have-whistled cells."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict


class DeductionPublic(BaseModel):
    """Points taken off one dimension, and why."""

    model_config = ConfigDict(from_attributes=True)

    code: str
    reason: str
    points: float


class DimensionPublic(BaseModel):
    """One dimension of a whistle score (``points`` is null when it is not counted)."""

    model_config = ConfigDict(from_attributes=True)

    name: str
    weight: float
    points: float | None
    counted: bool
    deductions: list[DeductionPublic]
    note: str


class DepartmentScorePublic(BaseModel):
    """One department's score on one whistle, explained."""

    assignment_id: int
    department_code: str
    department_name: str | None
    district_code: str | None
    role: str
    overall_lead: bool
    status: str
    score: float
    final: bool
    dimensions: list[DimensionPublic]
    deductions: list[DeductionPublic]


class WhistleScoresPublic(BaseModel):
    """一哨一考核: the departments' scores on one whistle."""

    whistle_id: int
    case_id: int
    lead_street_code: str
    sla_policy: str
    blown_at: datetime
    as_of: datetime
    departments: list[DepartmentScorePublic]


class ScoreboardRowPublic(BaseModel):
    """One department, street or district in one period: whistle scores and rates."""

    code: str
    name: str | None
    scored: int
    provisional: int
    average_score: float | None
    final: int
    final_average_score: float | None
    provisional_average_score: float | None
    rank: int | None
    assigned: int
    response_due: int
    responded_on_time: int
    response_rate: float | None
    resolution_due: int
    resolved: int
    resolution_rate: float | None
    rated: int
    satisfied: int
    satisfaction_rate: float | None
    due: int
    closed: int
    closed_on_time: int
    closure_rate: float | None
    on_time_closure_rate: float | None
    chases: int
    escalations: int


class RowScorePublic(DepartmentScorePublic):
    """One whistle score of a scoreboard row: which whistle and case, and when dispatched."""

    whistle_id: int
    case_id: int
    dispatched_at: datetime


class RowScoresPublic(BaseModel):
    """The whistle scores one scoreboard row averages, lowest first, with their deductions."""

    period: str
    by: str
    code: str
    as_of: datetime
    scores: list[RowScorePublic]


class ScoreboardPublic(BaseModel):
    """A monthly or yearly scoreboard, rows sorted by code, with the total over the rows.

    ``rank`` orders the rows by ``final_average_score`` (final scores only, ties share a
    rank); rows with no final score are not ranked. Provisional scores are shown apart."""

    period: str
    start: datetime
    end: datetime
    by: str
    as_of: datetime
    rows: list[ScoreboardRowPublic]
    total: ScoreboardRowPublic


class LocalCellPublic(BaseModel):
    """A grid cell where one category keeps being closed locally."""

    model_config = ConfigDict(from_attributes=True)

    grid_code: str
    community_code: str
    street_code: str
    category: str
    category_name: str | None
    local_closures: int
    case_ids: list[int]
    first_resolved_at: datetime
    last_resolved_at: datetime


class ShouldHaveWhistledPublic(BaseModel):
    """该吹未吹: cells for the street's attention."""

    as_of: datetime
    since: datetime
    window_days: int
    min_local: int
    cells: list[LocalCellPublic]
