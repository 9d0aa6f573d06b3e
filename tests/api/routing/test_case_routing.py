"""The typed routing every reader takes (``CaseRouting``) holds all the routing stores."""

from __future__ import annotations

import json

import shapely
from sqlalchemy.orm import Session

from api.config import Settings
from api.reports.service import routing_json
from api.routing.schemas import CaseRouting
from api.routing.service import route_case, rules_from
from geo.coords import CoordinateSystem
from tests.api.support import BUILDING, PIN


def _stored(session: Session, geometry: dict[str, object], accuracy_m: float | None) -> dict:
    routing, located = route_case(
        session=session,
        geom=shapely.geometry.shape(geometry),
        crs=CoordinateSystem.WGS84,
        category=str(PIN["category"]),
        rules=rules_from(Settings().data_dir),
        accuracy_m=accuracy_m,
    )
    return dict(json.loads(json.dumps(routing_json(routing, located))))


def test_a_stored_point_routing_reads_back_whole(demo_session: Session) -> None:
    stored = _stored(demo_session, dict(PIN["geometry"]), accuracy_m=80.0)  # type: ignore[arg-type]
    routing = CaseRouting.of(stored)
    assert routing.model_dump(mode="json") == stored  # no field lost, none invented
    assert routing.overall_lead is not None and routing.overall_lead.overall_lead
    assert routing.grid_code and routing.community_code


def test_a_stored_joint_routing_reads_back_whole(demo_session: Session) -> None:
    stored = _stored(demo_session, BUILDING, accuracy_m=None)
    routing = CaseRouting.of(stored)
    assert routing.model_dump(mode="json") == stored
    assert routing.joint and len(routing.streets) > 1
    assert {s.district_code for s in routing.streets} == {"110102", "110106"}


def test_nothing_stored_reads_as_nothing_routed() -> None:
    routing = CaseRouting.of(None)
    assert (routing.joint, routing.streets, routing.overall_lead) == (False, [], None)
