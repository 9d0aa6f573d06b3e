"""Routes: GET /tiles/{layer}/{z}/{x}/{y}.mvt — vector tiles for the pages and maps; GET
/tiles/basemap — what the working pages draw as their basemap.

An answer is a Mapbox Vector Tile with one layer named like the route's layer, or 204 (no
body) where the tile holds nothing; either way with a strong ``ETag`` (a hash of the bytes)
and ``Cache-Control: private, max-age=60``, so a browser keeps each tile for a minute and
then asks again with ``If-None-Match`` (304 when unchanged). The login cookie is accepted as
on the maps, so that a map's tile requests need no header.
"""

from __future__ import annotations

import hashlib
from typing import Annotated, Any

from fastapi import APIRouter, Header, Path, Query
from fastapi.responses import Response

from api.auth.deps import ActorDep, TileViewerDep
from api.deps import INT4_MAX, CategoryFilter, QueryInstant, SessionDep, SettingsDep
from api.hotspots.window import WindowQuery, time_window
from api.maps.analysis import Filters
from api.tiles.basemap import basemap
from api.tiles.schemas import BasemapPublic
from api.tiles.service import MAX_ZOOM, Layer, Tile, layer_of, vector_tile

router = APIRouter(prefix="/tiles", tags=["tiles"])

MVT = "application/vnd.mapbox-vector-tile"
CACHE_CONTROL = "private, max-age=60"
HEADERS_DOC = {
    "ETag": {"description": "a hash of the tile's bytes", "schema": {"type": "string"}},
    "Cache-Control": {"description": CACHE_CONTROL, "schema": {"type": "string"}},
}
RESPONSES: dict[int | str, dict[str, Any]] = {
    200: {
        "description": "the tile: one MVT layer named like the route's layer",
        "content": {MVT: {"schema": {"type": "string", "format": "binary"}}},
        "headers": HEADERS_DOC,
    },
    204: {"description": "the tile holds nothing (no body)", "headers": HEADERS_DOC},
    304: {"description": "If-None-Match names the tile's current ETag", "headers": HEADERS_DOC},
}
LAYERS = ", ".join(layer.value for layer in Layer)
TileIndex = Annotated[int, Path(ge=0, le=(1 << MAX_ZOOM) - 1, description="< 2^z")]


def _matches(if_none_match: str | None, etag: str) -> bool:
    """Whether an ``If-None-Match`` header names ``etag`` (or ``*``)."""
    if not if_none_match:
        return False
    tags = {t.strip().removeprefix("W/") for t in if_none_match.split(",")}
    return "*" in tags or etag in tags


@router.get("/basemap", response_model=BasemapPublic)
def basemap_layers(settings: SettingsDep, _actor: ActorDep) -> BasemapPublic:
    """The basemap of the working pages (docs/pages.md): the roadnet and addresses tile
    layers with the zooms from which they are drawn and labelled, and 天地图 when the
    installation has a key (null otherwise)."""
    return basemap(settings)


@router.get("/{layer}/{z}/{x}/{y}.mvt", response_class=Response, responses=RESPONSES)
def tile(
    session: SessionDep,
    viewer: TileViewerDep,
    layer: Annotated[str, Path(description=f"one of {LAYERS}", max_length=32)],
    z: Annotated[int, Path(ge=0, le=MAX_ZOOM, description="zoom")],
    x: TileIndex,
    y: TileIndex,
    scope: Annotated[
        str | None,
        Query(
            pattern=r"^([0-9]{6}|[0-9]{9})$",
            description="hotspots and roads: a district (6) or street (9) code, default the "
            "caller's own area (the city for administrators and analysts); events: only "
            "those within this area",
        ),
    ] = None,
    chief: Annotated[
        str | None,
        Query(
            pattern=r"^C[0-9]{9}-[0-9]{1,4}$",
            description="hotspots and roads: the map of this street-and-alley chief (e.g. "
            "C110102020-01), the chief's roads and the significant grid cells along them, for "
            "the chief and those who may open the chief's street's map; excludes scope",
        ),
    ] = None,
    since: QueryInstant = None,
    until: QueryInstant = None,
    category: CategoryFilter = None,
    window: WindowQuery = None,
    generation: Annotated[
        int | None,
        Query(ge=1, le=INT4_MAX, description="outlines of this boundary generation"),
    ] = None,
    if_none_match: Annotated[str | None, Header(max_length=1000)] = None,
) -> Response:
    """One layer of one tile (docs/tiles.md): district, street, community and grid outlines
    (grid from zoom 14); hot spot units with count, Gi* and emerging category and roads with
    their chief and load, of a scope the caller may open or of a chief's map; raw events
    (from zoom 13) that the caller may see."""
    found = layer_of(layer)
    since, until = time_window(window, since, until)
    content = vector_tile(
        session=session,
        actor=viewer,
        layer=found,
        tile=Tile(z, x, y),
        filters=Filters(since, until, category),
        scope=scope,
        chief_ref=chief,
        generation=generation,
    )
    etag = f'"{hashlib.blake2b(content, digest_size=16).hexdigest()}"'
    headers = {"ETag": etag, "Cache-Control": CACHE_CONTROL, "Vary": "Authorization, Cookie"}
    if _matches(if_none_match, etag):
        return Response(status_code=304, headers=headers)
    if not content:
        return Response(status_code=204, headers=headers)
    return Response(content, media_type=MVT, headers=headers)
