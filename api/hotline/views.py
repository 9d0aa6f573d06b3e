"""Route: POST /api/hotline/parse (roles that may report: the hotline, command centres …)."""

from __future__ import annotations

from datetime import timedelta

from fastapi import APIRouter

from api.addresses.service import GEOCODER
from api.auth.deps import ActorDep
from api.auth.roles import Role
from api.cases.service import utcnow
from api.deps import SessionDep, SettingsDep
from api.errors import Forbidden
from api.hotline import service
from api.hotline.schemas import ParsePublic, ParseRequest
from api.routing.service import rules_from

router = APIRouter(prefix="/api/hotline", tags=["hotline"])

TAKERS = frozenset({Role.HOTLINE, Role.STREET, Role.DISTRICT, Role.ADMIN})
"""Who takes calls: the 12345 centre and the command centres that also answer the phone."""


@router.post("/parse", response_model=ParsePublic)
def parse(
    body: ParseRequest, session: SessionDep, settings: SettingsDep, actor: ActorDep
) -> ParsePublic:
    """The address (geocoded) and the complaint (categories suggested) in a caller's words,
    the routing when both are confident and the open cases nearby."""
    if actor.role not in TAKERS:
        raise Forbidden(f"a {actor.role} user does not take hotline calls", field="authorization")
    parsed = service.parse_call(
        session=session,
        text=body.text,
        geocoder=GEOCODER.current(session=session),
        model=service.current_model(settings),
        rules=rules_from(settings.data_dir),
        chief_radius_m=settings.chief_radius_m,
        duplicate_radius_m=settings.duplicate_radius_m,
        duplicate_window=timedelta(hours=settings.duplicate_window_hours),
        now=utcnow(),
    )
    return ParsePublic.of(parsed)
