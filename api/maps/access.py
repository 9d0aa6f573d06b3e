"""Who may open which map, and which raw positions a map shows them (docs/roles.md).

Hot spot maps show aggregates of an area (counts, Gi*, trends, density, road loads) and, on a
street's map, the raw events; a chief's map shows the events along the chief's roads. Command
centres see their own area, analysts and administrators everything (an analyst with a
jurisdiction: the areas under that prefix), a chief only the chief's own map; department
staff and grid workers see no hot spot map (their cases and reports are in the pages).
"""

from __future__ import annotations

from typing import Any, Literal

import numpy as np
import shapely

from api.auth.roles import Actor, Role
from api.errors import Forbidden
from api.maps.data import Pin, features
from geo.crs import to_metric

MapKind = Literal["city", "district", "street"]


def _under(prefix: str | None, code: str | None) -> bool:
    """Whether ``code`` lies in the area ``prefix`` (None: the whole city)."""
    return prefix is None or (code is not None and code.startswith(prefix))


def may_open(actor: Actor, *, kind: MapKind, code: str | None) -> bool:
    """Whether ``actor`` may open the hot spot map of the city, a district or a street.

    >>> may_open(Actor(1, Role.STREET, "110102020"), kind="street", code="110102020")
    True
    >>> may_open(Actor(1, Role.STREET, "110102020"), kind="district", code="110102")
    False
    """
    j = actor.jurisdiction
    match actor.role:
        case Role.ADMIN:
            return True
        case Role.ANALYST:
            return _under(j, code) if kind != "city" else j is None
        case Role.DISTRICT:
            return kind != "city" and _under(j, code)
        case Role.STREET:
            return kind == "street" and code == j
        case Role.COMMUNITY:
            return kind == "street" and code is not None and (j or "")[:9] == code
    return False


APP_PAGES: dict[Role, tuple[str, str]] = {
    Role.GRID_WORKER: ("/app/report", "上报"),
    Role.COMMUNITY: ("/app/triage", "分拨"),
    Role.STREET: ("/app/triage", "分拨"),
    Role.DISTRICT: ("/app/triage", "分拨"),
    Role.ANALYST: ("/app/triage", "分拨"),
    Role.ADMIN: ("/app/triage", "分拨"),
    Role.DEPARTMENT: ("/app/whistles", "吹哨看板"),
    Role.HOTLINE: ("/app/hotline", "接诉"),
    Role.CHIEF: ("/app/mine", "我的上报"),
}
"""The page of the app each role works in (href, the top bar's name for it): where the
login page sends each role (``api/static/app/js/api.js`` HOME); a chief, who starts on the
chief's own map, has the chief's reports."""


def app_page(actor: Actor) -> tuple[str, str] | None:
    """The app page ``actor`` works in, for a map's link back.

    >>> app_page(Actor(1, Role.STREET, "110102020"))
    ('/app/triage', '分拨')
    >>> app_page(Actor(1, Role.CHIEF, "C110102020-01"))
    ('/app/mine', '我的上报')
    """
    return APP_PAGES.get(actor.role)


def own_map(actor: Actor) -> str | None:
    """The hot spot map of ``actor``'s own area, as the role may open it: a chief's roads,
    a street's or community's street, a district's district, the city for administrators and
    city-wide analysts (an analyst with a prefix: that district or street); None for roles
    that see no hot spot map (departments, grid workers, the hotline).

    >>> own_map(Actor(1, Role.CHIEF, "C110102020-01"))
    '/maps/chief/C110102020-01'
    >>> own_map(Actor(1, Role.COMMUNITY, "110102020001"))
    '/maps/street/110102020'
    >>> own_map(Actor(1, Role.ANALYST, "110102")), own_map(Actor(1, Role.DEPARTMENT, "110102-cgzf"))
    ('/maps/district/110102', None)
    """
    j = actor.jurisdiction or ""
    if actor.role is Role.CHIEF:
        return f"/maps/chief/{j}" if j else None
    candidates: list[tuple[MapKind, str | None]] = [("city", None)]
    if len(j) >= 9:
        candidates.insert(0, ("street", j[:9]))
    elif len(j) == 6:
        candidates.insert(0, ("district", j))
    for kind, code in candidates:
        if may_open(actor, kind=kind, code=code):
            return "/maps/hotspots" if code is None else f"/maps/{kind}/{code}"
    return None


def require_map(actor: Actor, *, kind: MapKind, code: str | None) -> None:
    """Refuse (403) a hot spot map ``actor`` may not open."""
    if not may_open(actor, kind=kind, code=code):
        where = f"{kind} {code}" if code else "the city"
        raise Forbidden(
            f"a {actor.role} user ({actor.jurisdiction or 'city-wide'}) may not see the map "
            f"of {where}",
            field="authorization",
        )


def may_open_chief(actor: Actor, *, ref: str, street_code: str) -> bool:
    """Whether ``actor`` may open the map of chief ``ref`` (of ``street_code``): that chief,
    and those who may open the street's map except its communities.

    >>> may_open_chief(Actor(1, Role.CHIEF, "C110102020-01"), ref="C110102020-01",
    ...                street_code="110102020")
    True
    >>> may_open_chief(Actor(1, Role.CHIEF, "C110102020-02"), ref="C110102020-01",
    ...                street_code="110102020")
    False
    >>> may_open_chief(Actor(1, Role.COMMUNITY, "110102020001"), ref="C110102020-01",
    ...                street_code="110102020")
    False
    """
    if actor.role is Role.CHIEF:
        return actor.jurisdiction == ref
    return actor.role is not Role.COMMUNITY and may_open(actor, kind="street", code=street_code)


def require_chief_map(actor: Actor, *, ref: str, street_code: str) -> None:
    """Refuse (403) the map of chief ``ref`` (of ``street_code``) to anyone but that chief
    and those who may open the street's map (except its communities)."""
    if may_open_chief(actor, ref=ref, street_code=street_code):
        return
    raise Forbidden(
        f"a {actor.role} user ({actor.jurisdiction or 'city-wide'}) may not see the map of "
        f"street-and-alley chief {ref}",
        field="authorization",
    )


def pins_near(pins: list[Pin], collection: dict[str, Any], *, distance_m: float) -> list[Pin]:
    """The pins within ``distance_m`` metres of any feature of ``collection`` (0: on or
    inside one).

    >>> box = [[116.30, 39.88], [116.30, 39.89], [116.31, 39.89], [116.31, 39.88], [116.30, 39.88]]
    >>> square = {"features": [{"geometry": {"type": "Polygon", "coordinates": [box]}}]}
    >>> pins_near([(39.885, 116.305, "in"), (39.8905, 116.305, "55 m north")], square,
    ...           distance_m=0)
    [(39.885, 116.305, 'in')]
    >>> len(pins_near([(39.8905, 116.305, "55 m north")], square, distance_m=60))
    1
    """
    shapes = [shapely.geometry.shape(f["geometry"]) for f in features(collection)]
    if not pins or not shapes:
        return []
    area = to_metric(shapely.union_all(shapes))
    points = to_metric(
        np.asarray(shapely.points([lon for _, lon, _ in pins], [lat for lat, _, _ in pins]))
    )
    keep = shapely.dwithin(points, area, distance_m)
    return [pin for pin, kept in zip(pins, keep, strict=True) if kept]
