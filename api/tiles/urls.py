"""The tile URL templates pages and maps draw from (``{z}/{x}/{y}`` left for Leaflet)."""

from __future__ import annotations

from urllib.parse import urlencode

from api.maps.analysis import Filters


def tile_url(
    layer: str,
    *,
    scope: str | None = None,
    chief: str | None = None,
    filters: Filters | None = None,
    generation: int | None = None,
) -> str:
    """The URL template of ``layer``'s tiles with the scope (or a chief's map) and filter as
    query parameters (instants in ISO 8601, so the tile route reads back the same filter the
    page used).

    >>> tile_url("hotspots", scope="110102020", filters=Filters(category="E03"))
    '/tiles/hotspots/{z}/{x}/{y}.mvt?scope=110102020&category=E03'
    >>> tile_url("roads", chief="C110102020-01")
    '/tiles/roads/{z}/{x}/{y}.mvt?chief=C110102020-01'
    >>> tile_url("grid")
    '/tiles/grid/{z}/{x}/{y}.mvt'
    """
    filters = filters or Filters()
    query = {
        "scope": scope,
        "chief": chief,
        "since": filters.since.isoformat() if filters.since else None,
        "until": filters.until.isoformat() if filters.until else None,
        "category": filters.category,
        "generation": generation,
    }
    chosen = urlencode({k: v for k, v in query.items() if v})
    return f"/tiles/{layer}/{{z}}/{{x}}/{{y}}.mvt" + (f"?{chosen}" if chosen else "")
