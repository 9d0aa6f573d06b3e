"""Routes: the city map page."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import HTMLResponse

from api.auth.deps import ViewerDep
from api.deps import QueryId, SessionDep, SettingsDep
from api.geography import service
from api.geography.service import check_generation
from geo.codes import Level
from geo.maps import Basemap, city_map, render, titled

router = APIRouter(prefix="/maps", tags=["maps"])

ASSETS_URL = "/static/vendor"


@router.get("/city", response_class=HTMLResponse)
def city(
    session: SessionDep, settings: SettingsDep, _viewer: ViewerDep, generation: QueryId = None
) -> HTMLResponse:
    """Districts, streets and communities of the active generation; grid cells by bbox (no
    events: every logged-in user may open it)."""
    check_generation(session=session, generation=generation)
    gen = generation if generation is not None else service.active_generation(session=session)
    layers = {
        str(level): service.areas_geojson(
            session=session, level=level, generation=gen, simplify_m=simplify, limit=10_000
        )
        for level, simplify in ((Level.DISTRICT, 5.0), (Level.STREET, 3.0), (Level.COMMUNITY, 2.0))
    }
    basemap = (
        Basemap(settings.tile_url, settings.tile_attribution or "") if settings.tile_url else None
    )
    grid_url = f"/api/areas?level=grid&generation={gen}" if gen is not None else None
    map_ = city_map(layers=layers, grid_url=grid_url, assets_url=ASSETS_URL, basemap=basemap)
    return HTMLResponse(render(titled(map_, "gridwhistle 城市网格图")))
