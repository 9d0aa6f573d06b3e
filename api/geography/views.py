"""Routes: generations, areas as GeoJSON, the department and category catalogues."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query

from api.departments import service as departments
from api.deps import SessionDep, SettingsDep
from api.errors import InvalidInput, NotFound
from api.geography import service
from api.geography.schemas import (
    CategoryPublic,
    DepartmentPublic,
    GenerationPublic,
    GenerationsPublic,
)
from grids.codes import Level

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


@router.get("/generations", response_model=GenerationsPublic)
def generations(session: SessionDep) -> GenerationsPublic:
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
    level: Level,
    bbox: Annotated[str | None, Query(description="minlon,minlat,maxlon,maxlat")] = None,
    generation: int | None = None,
    simplify_m: Annotated[float, Query(ge=0, le=500)] = 0.0,
) -> dict[str, Any]:
    """Areas of one level as a GeoJSON FeatureCollection (grid cells need a bbox)."""
    box = parse_bbox(bbox)
    if level is Level.GRID and box is None:
        raise InvalidInput(
            "grid cells are served per bbox; give bbox=minlon,minlat,maxlon,maxlat", field="bbox"
        )
    if (
        generation is not None
        and service.get_generation(session=session, generation_id=generation) is None
    ):
        raise NotFound(f"generation {generation} does not exist", field="generation")
    return service.areas_geojson(
        session=session,
        level=level,
        generation=generation,
        bbox=box,
        simplify_m=simplify_m,
        limit=settings.max_features_per_response,
    )


@router.get("/departments", response_model=list[DepartmentPublic])
def list_departments(session: SessionDep, district_code: str | None = None) -> list[Any]:
    """Departments, optionally those of one district."""
    return departments.list_departments(session=session, district_code=district_code)


@router.get("/categories", response_model=list[CategoryPublic])
def list_categories(session: SessionDep) -> list[Any]:
    """The event and component category catalogue."""
    return departments.list_categories(session=session)
