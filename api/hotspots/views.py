"""Routes: GET /api/hotspots — counts and Gi* classes per grid cell, community or street."""

from __future__ import annotations

import json
from typing import Annotated, Any, Literal

import numpy as np
import shapely
from fastapi import APIRouter, Query

from api.auth.deps import ActorDep
from api.deps import CategoryFilter, QueryInstant, SessionDep
from api.errors import InvalidInput
from api.geography.service import active_generation, read_level
from api.hotspots.service import events_frame
from api.hotspots.window import WindowQuery, time_window
from api.maps.access import MapKind, require_map
from geo.codes import Level
from geo.hotspots import count_hotspots, weight_matrix

router = APIRouter(prefix="/api", tags=["hotspots"])

_WEIGHTS: dict[tuple[str, int, str, str], Any] = {}


def units_and_weights(session: SessionDep, level: Level, street: str | None) -> tuple[Any, Any]:
    """One level's areas (within a street) and their queen weights, cached per database and
    generation (one process may serve, or test, several databases)."""
    gen = active_generation(session=session)
    if gen is None:
        raise InvalidInput("no boundaries are loaded", field="level")
    key = (str(session.get_bind().engine.url), gen, str(level), street or "")
    units = read_level(session=session, level=level, prefix=street or "")  # not the city's
    if units.empty:
        raise InvalidInput(f"no {level} areas in {street or 'the city'}", field="street")
    if key not in _WEIGHTS:
        if len(_WEIGHTS) > 16:
            _WEIGHTS.clear()
        _WEIGHTS[key] = weight_matrix(units, weights="queen")
    return units, _WEIGHTS[key]


@router.get("/hotspots")
def hotspots(
    session: SessionDep,
    actor: ActorDep,
    level: Literal["grid", "community", "street"] = "community",
    since: QueryInstant = None,
    until: QueryInstant = None,
    window: WindowQuery = None,
    category: CategoryFilter = None,
    street: Annotated[str | None, Query(pattern=r"^\d{6,9}$")] = None,
    significant_only: bool = False,
) -> dict[str, Any]:
    """Counts per unit with Gi* z, p (binomial, area exposure), FDR p and hot/cold class
    (of the areas whose hot spot maps the caller may open: docs/roles.md)."""
    kind: MapKind = "city" if street is None else "district" if len(street) == 6 else "street"
    require_map(actor, kind=kind, code=street)
    since, until = time_window(window, since, until)
    if level == "grid" and street is None and not significant_only:
        raise InvalidInput(
            "city-wide grid cells are served as significant cells only: give street= or "
            "significant_only=true",
            field="street",
        )
    units, weights = units_and_weights(session, Level(level), street)
    events = events_frame(
        session=session, since=since, until=until, category=category, street_prefix=street
    )
    _y, result = count_hotspots(events, units, level=level, weights=weights)
    keep = result["significant"].to_numpy() if significant_only else np.ones(len(units), bool)
    geoms = shapely.to_geojson(shapely.set_precision(units.geometry.to_numpy(), 1e-6))
    records = result.to_dict("records")
    features = [
        {
            "type": "Feature",
            "id": str(r["code"]),
            "geometry": json.loads(geom),
            "properties": {
                "code": str(r["code"]),
                "name": name,
                "count": int(r["value"]),
                "z": round(float(r["z"]), 3),
                "p": float(r["p"]),
                "p_fdr": float(r["p_fdr"]),
                "class": str(r["class"]),
            },
        }
        for r, name, geom, k in zip(records, units["name"], geoms, keep, strict=True)
        if k
    ]
    return {
        "type": "FeatureCollection",
        "level": level,
        "events": len(events),
        "features": features,
    }
