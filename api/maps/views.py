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
from api.tiles.service import MIN_ZOOM, Layer
from api.tiles.urls import tile_url
from geo.codes import Level
from geo.hotspot_maps import add_heading
from geo.maps import (
    LEVEL_LABELS,
    LEVEL_STYLES,
    Basemap,
    base_map,
    boundary_layer,
    collection_bounds,
    render,
    titled,
)
from geo.tile_maps import VectorTileLayer, fixed_style

router = APIRouter(prefix="/maps", tags=["maps"])

ASSETS_URL = "/static/vendor"
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
    popup = [("name", "名称："), ("code", "代码：")]
    tiled = ((Layer.COMMUNITIES, Level.COMMUNITY, 0), (Layer.GRID, Level.GRID, GRID_MIN_ZOOM))
    for layer, level, min_zoom in tiled:
        name = LEVEL_LABELS[str(level)]
        VectorTileLayer(
            tile_url(layer.value, generation=generation),
            name=f"{name}（放大至{min_zoom}级显示）" if min_zoom else name,
            layer=layer.value,
            style=fixed_style(LEVEL_STYLES[str(level)]),
            assets_url=ASSETS_URL,
            popup=popup,
            show=level is Level.GRID,
            min_zoom=min_zoom,
        ).add_to(map_)
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
