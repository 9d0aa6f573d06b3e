"""Routes: GET /api/locate and POST /api/route (for logged-in users of any role), and the
re-route of a disputed case to other departments (the case's lead street)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query

from api.auth.deps import ActorDep
from api.cases.schemas import Reroute, WhistlePublic
from api.cases.service import get_case, utcnow
from api.deadlines.service import calendar, policies_from
from api.deps import PathId, QueryId, SessionDep, SettingsDep
from api.geography.service import check_generation
from api.routing import service
from api.routing.schemas import (
    CandidatePublic,
    ChiefPublic,
    DepartmentRolePublic,
    LocationPublic,
    Position,
    RouteRequest,
    RoutingPublic,
    StreetPublic,
)
from api.whistles import service as whistles
from geo.coords import CoordinateSystem
from geo.locate import PointLocation, StreetShare

router = APIRouter(prefix="/api", tags=["locate and route"])


def _candidates(location: PointLocation | None) -> list[CandidatePublic]:
    if location is None:
        return []
    return [CandidatePublic(code=c.code, name=c.name, share=c.share) for c in location.candidates]


def _street(s: StreetShare) -> StreetPublic:
    return StreetPublic(code=s.code, name=s.name, district_code=s.district_code, share=s.share)


@router.get("/locate", response_model=LocationPublic)
def locate(
    session: SessionDep,
    _actor: ActorDep,
    lon: Annotated[float, Query(ge=-180, le=180, description="longitude in `crs`")],
    lat: Annotated[float, Query(ge=-90, le=90, description="latitude in `crs`")],
    crs: CoordinateSystem = CoordinateSystem.WGS84,
    accuracy_m: Annotated[float | None, Query(ge=0, le=5_000)] = None,
    generation: QueryId = None,
) -> LocationPublic:
    """The grid cell, community, street and district of a position (any Chinese CRS)."""
    check_generation(session=session, generation=generation)
    found = service.locate(
        session=session, lon=lon, lat=lat, crs=crs, accuracy_m=accuracy_m, generation=generation
    )
    return LocationPublic(
        position=Position(lon=found.lon, lat=found.lat),
        district={"code": found.district.code, "name": found.district.name},
        street=found.street and {"code": found.street.code, "name": found.street.name},
        community=found.community and {"code": found.community.code, "name": found.community.name},
        grid=found.grid and {"code": found.grid.code},
        generation=found.generation,
        ambiguous=found.ambiguous,
        candidates=_candidates(found),
    )


@router.post("/route", response_model=RoutingPublic)
def route(
    body: RouteRequest, session: SessionDep, settings: SettingsDep, actor: ActorDep
) -> RoutingPublic:
    """Streets, departments, whistle type, SLA policy and chief for a pin or footprint, as a
    report by the caller would be routed (the caller's street leads a near tie, 首接负责)."""
    check_generation(session=session, generation=body.generation)
    routing, located = service.route_case(
        session=session,
        geom=body.shape(),
        crs=body.crs,
        category=body.category,
        rules=service.rules_from(settings.data_dir),
        accuracy_m=body.accuracy_m,
        level=body.level,
        generation=body.generation,
        chief_radius_m=settings.chief_radius_m,
        received=service.first_receiver(actor, service.lead_tolerance_from(settings.data_dir)),
    )
    chief = routing.chief
    return RoutingPublic(
        joint=routing.joint,
        lead_street=_street(routing.lead_street),
        streets=[_street(s) for s in routing.streets],
        departments=[
            DepartmentRolePublic(
                code=d.code,
                name=d.name,
                district_code=d.district_code,
                role=d.role,
                overall_lead=d.overall_lead,
            )
            for d in routing.departments
        ],
        whistle_type=routing.whistle_type,
        sla_policy=routing.sla_policy,
        chief=chief
        and ChiefPublic(
            name=chief.name,
            title=chief.title,
            street_or_alley=chief.street_or_alley,
            distance_m=round(chief.distance_m, 1),
        ),
        explanation=list(routing.explanation),
        position=located and Position(lon=located.lon, lat=located.lat),
        generation=routing.generation,
        ambiguous=bool(located and located.ambiguous),
        candidates=_candidates(located),
    )


@router.post("/cases/{case_id}/reroute", response_model=WhistlePublic)
def reroute(
    case_id: PathId, body: Reroute, session: SessionDep, settings: SettingsDep, actor: ActorDep
) -> Any:
    """After a dispute, send the case to other departments."""
    case = get_case(session=session, case_id=case_id, lock=True)
    whistle = whistles.reroute(
        session=session,
        case=case,
        actor=actor,
        at=utcnow(),
        departments=[d.model_dump() for d in body.departments],
        policies=policies_from(settings.data_dir),
        calendar=calendar(session=session),
        note=body.note,
    )
    session.commit()
    return whistle
