"""Routes: generations and areas as GeoJSON.

For logged-in users of any role; areas are also the city map's grid tiles, fetched by the
map page itself, so they accept the login cookie too (``api.auth.deps.tile_viewer``).
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from api.auth.deps import ActorDep, TileViewerDep
from api.deps import BboxFilter, QueryId, SessionDep, SettingsDep
from api.errors import InvalidInput
from api.geography import service
from api.geography.models import Area
from api.geography.schemas import GenerationPublic, GenerationsPublic
from geo.codes import Level

router = APIRouter(prefix="/api", tags=["geography"])


def parse_bbox(bbox: str | None) -> tuple[float, float, float, float] | None:
    """Parse "minlon,minlat,maxlon,maxlat"; InvalidInput names the field when malformed."""
    if bbox is None:
        return None
    try:
        x0, y0, x1, y1 = (float(v) for v in bbox.split(","))
    except ValueError as exc:
        raise InvalidInput(
            "bbox must be four numbers: minlon,minlat,maxlon,maxlat", field="bbox"
        ) from exc
    if not (-180 <= x0 < x1 <= 180 and -90 <= y0 < y1 <= 90):
        raise InvalidInput(
            "bbox must satisfy -180<=minlon<maxlon<=180, -90<=minlat<maxlat<=90", field="bbox"
        )
    return x0, y0, x1, y1


MAX_CODES = 100


def parse_codes(code: str | None) -> list[str] | None:
    """Parse "CODE[,CODE…]" (digits); InvalidInput names the field when malformed."""
    if code is None:
        return None
    codes = [c.strip() for c in code.split(",") if c.strip()]
    if not codes or len(codes) > MAX_CODES or not all(c.isdigit() and len(c) <= 15 for c in codes):
        raise InvalidInput(
            f"code must be 1 to {MAX_CODES} comma-separated area codes (digits)", field="code"
        )
    return codes


def _extent_of(
    session: Session, level: Level, codes: list[str], generation: int | None
) -> tuple[float, float, float, float] | None:
    """The bbox of the areas with these codes (None when none is in force)."""
    gen = generation if generation is not None else service.active_generation(session=session)
    box = session.execute(
        select(
            func.min(func.ST_XMin(Area.geom)),
            func.min(func.ST_YMin(Area.geom)),
            func.max(func.ST_XMax(Area.geom)),
            func.max(func.ST_YMax(Area.geom)),
        ).where(
            Area.level == str(level),
            Area.code.in_(codes),
            Area.generation_low <= gen,
            Area.generation_high >= gen,
        )
    ).one()
    if box[0] is None:
        return None
    return float(box[0]), float(box[1]), float(box[2]), float(box[3])


def _overlap(
    a: tuple[float, float, float, float], b: tuple[float, float, float, float] | None
) -> tuple[float, float, float, float] | None:
    if b is None:
        return a
    box = (max(a[0], b[0]), max(a[1], b[1]), min(a[2], b[2]), min(a[3], b[3]))
    return box if box[0] <= box[2] and box[1] <= box[3] else None


@router.get("/generations", response_model=GenerationsPublic)
def generations(session: SessionDep, _actor: ActorDep) -> GenerationsPublic:
    """List boundary generations; the newest is active."""
    rows = service.list_generations(session=session)
    return GenerationsPublic(
        active=service.active_generation(session=session),
        data=[GenerationPublic.model_validate(g) for g in rows],
    )


@router.get("/areas")
def areas(
    session: SessionDep,
    settings: SettingsDep,
    _viewer: TileViewerDep,
    level: Level,
    bbox: BboxFilter = None,
    generation: QueryId = None,
    simplify_m: Annotated[float, Query(ge=0, le=500)] = 0.0,
    code: Annotated[str | None, Query(description="CODE[,CODE…]: only these areas")] = None,
) -> dict[str, Any]:
    """Areas of one level as a GeoJSON FeatureCollection (grid cells need a bbox or codes)."""
    box = parse_bbox(bbox)
    codes = parse_codes(code)
    if level is Level.GRID and box is None and codes is None:
        raise InvalidInput(
            "grid cells are served per bbox; give bbox=minlon,minlat,maxlon,maxlat", field="bbox"
        )
    service.check_generation(session=session, generation=generation)
    if codes is not None:
        # narrow the query to the bbox of the requested areas, then keep exactly those
        extent = _extent_of(session, level, codes, generation)
        box = None if extent is None else _overlap(extent, box)
        if box is None:
            gen = (
                generation if generation is not None else service.active_generation(session=session)
            )
            return {
                "type": "FeatureCollection",
                "generation": gen,
                "truncated": False,
                "features": [],
            }
    found = service.areas_geojson(
        session=session,
        level=level,
        generation=generation,
        bbox=box,
        simplify_m=simplify_m,
        limit=settings.max_features_per_response,
    )
    if codes is not None:
        wanted = set(codes)
        found["features"] = [f for f in found["features"] if f["id"] in wanted]  # type: ignore[attr-defined]
    return found
