"""Pydantic schemas of cases, assignments and triage actions."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from api.cases.workflow import AssignmentAction, CaseAction
from api.db.base import INT4_MAX
from api.inputs import Input
from api.photos.schemas import PhotoPublic
from api.reports.schemas import PhotoCreate
from api.routing.schemas import CaseRouting
from geo.coords import CoordinateSystem

# codes in bodies (departments, streets, SLA policies): longer ones are refused before a
# lookup would echo them back as unknown
CODE_MAX = 64


class CaseStreetPublic(BaseModel):
    """A street party to a case."""

    model_config = ConfigDict(from_attributes=True)

    street_code: str
    district_code: str
    share: float
    role: str


class AssignmentPublic(BaseModel):
    """One department's duty on a whistle, with due times (provisional when marked)."""

    model_config = ConfigDict(from_attributes=True)

    id: int
    whistle_id: int
    case_id: int
    department_code: str
    district_code: str | None
    role: str
    overall_lead: bool
    status: str
    dispatched_at: datetime
    acknowledged_at: datetime | None
    on_site_at: datetime | None
    resolved_at: datetime | None
    disputed_at: datetime | None
    acknowledge_due_at: datetime
    on_site_due_at: datetime
    resolve_due_at: datetime
    due_provisional: bool
    on_site_distance_m: float | None
    resolution_note: str | None
    dispute_reason: str | None
    overdue: list[str] = []


class CaseAssignmentPublic(AssignmentPublic):
    """An assignment in a case's detail, with its supervision level at the time of asking:
    none, warning (黄牌预警), overdue (超期), chased (已催办), district (区级督办) or city
    (市级督办) — the whistle board's ladder (docs/supervision.md)."""

    supervision: Literal["none", "warning", "overdue", "chased", "district", "city"]
    allowed_actions: list[AssignmentAction]  # what the caller may do to it now


class WhistlePublic(BaseModel):
    """A whistle blown on a case."""

    model_config = ConfigDict(from_attributes=True)

    id: int
    type: str
    level: str
    sla_policy: str
    lead_street_code: str
    blown_at: datetime
    active: bool


class CasePublic(BaseModel):
    """A case with its streets, whistles and assignments."""

    id: int
    status: str
    category: str
    description: str
    lead_street_code: str
    district_code: str
    community_code: str | None
    grid_code: str | None
    generation: int
    report_count: int
    created_at: datetime
    resolved_at: datetime | None
    verified_at: datetime | None
    closed_at: datetime | None
    rating: int | None
    merged_into_id: int | None
    reject_reason: str | None
    resolution_level: str | None
    streets: list[CaseStreetPublic]
    whistles: list[WhistlePublic]
    assignments: list[CaseAssignmentPublic]
    routing: CaseRoutingPublic  # streets, departments, whistle type, chief, ambiguity …
    geometry: dict[str, Any] | None = None  # GeoJSON, WGS-84
    address: str | None = None  # the position described from the nearest register entry
    photos: list[PhotoPublic] = []  # before (the reports'), then after (the departments')
    allowed_actions: list[CaseAction]  # what the caller may do to it now


class CaseRoutingPublic(CaseRouting):
    """A case's routing as its detail gives it: the stored routing and its SLA policy's time
    limits in words."""

    sla_text: str | None = None  # e.g. 2 个工作日内签收，… (api.deadlines.sla.plain)


class StreetShare(BaseModel):
    """A street of a case's routing and its share of the case's footprint."""

    code: str
    name: str
    share: float


class LeadRef(BaseModel):
    """The department that leads the whole case."""

    code: str
    name: str


class RoutingSummary(BaseModel):
    """What a queue shows of a case's routing (``api.cases.queries.routing_summary``)."""

    streets: list[StreetShare]
    overall_lead: LeadRef | None
    departments: int  # how many departments the rules named
    whistle_type: str | None
    ambiguous: bool


class CaseProperties(BaseModel):
    """What the case list says of each case."""

    id: int
    status: str
    category: str
    description: str
    lead_street_code: str
    district_code: str
    community_code: str | None
    report_count: int
    created_at: str  # ISO 8601
    joint: bool
    routing: RoutingSummary
    address: str | None
    allowed_actions: list[CaseAction]  # what the caller may do to it now


class CaseFeature(BaseModel):
    """A case as a GeoJSON feature."""

    type: Literal["Feature"]
    id: int
    geometry: dict[str, Any]  # GeoJSON, WGS-84
    properties: CaseProperties


class CasesPublic(BaseModel):
    """A page of cases as a GeoJSON FeatureCollection, with the total that matched."""

    type: Literal["FeatureCollection"]
    features: list[CaseFeature]
    total: int
    limit: int
    offset: int


class LonLat(BaseModel):
    """A position as longitude and latitude in degrees."""

    lon: float
    lat: float


class NearestRoad(BaseModel):
    """The nearest named street or alley (街/路, 胡同/巷) and how far the case lies from it."""

    name: str
    kind: Literal["street", "alley"]
    distance_m: float


class SitePublic(BaseModel):
    """Where a case is, for the people sent there: the point to go to (a footprint's
    representative point) in WGS-84 and as the phone map apps take it, GCJ-02 for 高德 and
    BD-09 for 百度; the nearest named road and the nearest register address."""

    kind: Literal["point", "line", "polygon"]
    point: LonLat  # WGS-84
    gcj02: LonLat
    bd09: LonLat
    road: NearestRoad | None  # within the chief radius, measured from the case's geometry
    address: str | None  # the point described from the nearest register entry within 100 m
    geometry: dict[str, Any]  # GeoJSON, WGS-84: the pin or the footprint


class DuplicatePublic(BaseModel):
    """An open case near a case, of the same category: a candidate to merge into."""

    id: int
    status: str
    category: str
    description: str
    lead_street_code: str
    report_count: int
    created_at: datetime
    distance_m: float
    position: list[float]  # lon, lat (WGS-84)


class DuplicatesPublic(BaseModel):
    """The suggested duplicates of one case, nearest first."""

    case_id: int
    position: list[float] | None
    radius_m: float
    window_hours: float
    duplicates: list[DuplicatePublic]


class EventPublic(BaseModel):
    """One event of a case's history."""

    model_config = ConfigDict(from_attributes=True)

    id: int
    at: datetime
    actor_id: int | None
    actor_role: str
    actor_name: str
    kind: str
    from_status: str | None
    to_status: str | None
    reason: str | None
    data: dict[str, Any]


class ResolveLocal(Input):
    """Resolve locally with a note."""

    note: str = Field(min_length=1, max_length=2_000)


class Reject(Input):
    """Reject with a reason."""

    reason: str = Field(min_length=1, max_length=2_000)


class Merge(Input):
    """Merge into another case, saying why (it goes into both cases' history)."""

    into: int = Field(ge=1, le=INT4_MAX)
    reason: str = Field(min_length=1, max_length=2_000)


class DepartmentChoice(Input):
    """A department to summon and its role."""

    code: str = Field(min_length=1, max_length=CODE_MAX)
    role: Literal["lead", "support"] = "support"
    overall_lead: bool = False


class BlowWhistle(Input):
    """Blow a whistle (defaults come from the router's proposal)."""

    whistle_type: Literal["综合执法哨", "重点工作哨", "应急处置哨"] | None = None
    departments: list[DepartmentChoice] | None = None
    partner_streets: list[Annotated[str, Field(max_length=CODE_MAX)]] = Field(default_factory=list)
    sla_policy: str | None = Field(default=None, max_length=CODE_MAX)
    note: str = Field(default="", max_length=2_000)


class Escalate(Input):
    """Escalate to city departments (defaults from the city-level duty rule)."""

    departments: Annotated[list[DepartmentChoice], Field(min_length=1)] | None = None
    note: str = Field(default="", max_length=2_000)


class Reroute(Input):
    """Re-route after a dispute."""

    departments: list[DepartmentChoice] = Field(min_length=1)
    note: str = Field(default="", max_length=2_000)


class Verify(Input):
    """Confirm the result or reopen with a reason."""

    confirmed: bool
    reason: str = Field(default="", max_length=2_000)


class Evaluate(Input):
    """Satisfaction, 1–5 stars."""

    stars: int = Field(ge=1, le=5)
    comment: str = Field(default="", max_length=2_000)


class Comment(Input):
    """A note on the case."""

    text: str = Field(min_length=1, max_length=2_000)


class OnSite(Input):
    """The department's position on arrival."""

    lon: float = Field(ge=-180, le=180)
    lat: float = Field(ge=-90, le=90)
    crs: CoordinateSystem = CoordinateSystem.WGS84


class ResolveDuty(Input):
    """The department's resolution note, and its after-photos (处置后照片; checked as a
    report's photos are)."""

    note: str = Field(min_length=1, max_length=2_000)
    photos: list[PhotoCreate] = Field(default_factory=list)


class ExtensionRequest(Input):
    """More time: a duration like 3wd, 5d or 12h, and why."""

    amount: str = Field(pattern=r"^\d+(\.\d+)?(wd|d|h)$")
    reason: str = Field(min_length=1, max_length=2_000)


class ExtensionDecision(Input):
    """The street's decision on an extension."""

    approve: bool
    note: str = Field(default="", max_length=2_000)


class Dispute(Input):
    """Not ours (派单异议), with a reason."""

    reason: str = Field(min_length=1, max_length=2_000)


class ExtensionPublic(BaseModel):
    """An extension request and its decision."""

    model_config = ConfigDict(from_attributes=True)

    id: int
    assignment_id: int
    amount: str
    reason: str
    old_due_at: datetime
    new_due_at: datetime
    provisional: bool
    status: str
