"""Routes: the city map page."""

from __future__ import annotations

import folium
from fastapi import APIRouter
from fastapi.responses import HTMLResponse

from api.auth.deps import ViewerDep
from api.deps import QueryId, SessionDep, SettingsDep
from api.geography import service
from api.geography.service import check_generation
from api.maps.access import app_page
from api.maps.pages import ASSETS_URL, outline_tiles
from api.tiles.service import MIN_ZOOM, Layer
from geo.codes import Level
from geo.hotspot_maps import add_heading
from geo.maps import (
    Basemap,
    base_map,
    boundary_layer,
    collection_bounds,
    render,
    titled,
)

router = APIRouter(prefix="/maps", tags=["maps"])

GRID_MIN_ZOOM = MIN_ZOOM[Layer.GRID]


@router.get("/city", response_class=HTMLResponse)
def city(
    session: SessionDep, settings: SettingsDep, viewer: ViewerDep, generation: QueryId = None
) -> HTMLResponse:
    """Districts and streets of the active generation; communities and grid cells (from zoom
    14) as vector tiles (no events: every logged-in user may open it), under a heading with
    a link back to the viewer's page of the app."""
    check_generation(session=session, generation=generation)
    gen = generation if generation is not None else service.active_generation(session=session)
    basemap = (
        Basemap(settings.tile_url, settings.tile_attribution or "") if settings.tile_url else None
    )
    map_ = base_map(center=(39.89, 116.36), zoom=11, assets_url=ASSETS_URL, basemap=basemap)
    outline_tiles(Layer.COMMUNITIES, show=False, generation=generation).add_to(map_)
    outline_tiles(Layer.GRID, show=True, min_zoom=GRID_MIN_ZOOM, generation=generation).add_to(map_)
    districts = None
    for level, simplify in ((Level.STREET, 3.0), (Level.DISTRICT, 5.0)):
        collection = service.areas_geojson(
            session=session, level=level, generation=gen, simplify_m=simplify, limit=10_000
        )
        boundary_layer(str(level), collection).add_to(map_)
        districts = collection
    folium.LayerControl(collapsed=False).add_to(map_)
    bounds = collection_bounds(districts) if districts is not None else None
    if bounds is not None:
        map_.fit_bounds(bounds)
    subtitle = f"区、街道、社区/村，网格放大至{GRID_MIN_ZOOM}级显示"
    add_heading(map_, "城市网格图", subtitle=subtitle, back=app_page(viewer))
    return HTMLResponse(render(titled(map_, "城市网格图 — gridwhistle")))
