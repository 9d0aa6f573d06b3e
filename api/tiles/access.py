"""Who sees which vector tile layer, and which part of it (docs/tiles.md, docs/roles.md).

Outlines (districts, streets, communities, grid cells) and the pages' basemap (the named
roads, the address register) are reference data, not case data: any logged-in user, all of
it. Aggregates (units with counts and Gi*, roads with their load) follow the hot spot maps
(``api.maps.access``): a scope (the city, a district, a street) the caller may open, by
default the caller's own area; a chief sees the chief's own roads. A chief's map (``chief=``)
draws that chief's roads and the significant grid cells along them for whoever may open the
map: the chief, and those who may open the chief's street's map (except its communities).
Raw events are narrowed
to what the role may see of them: command centres their area, a community its community,
analysts and administrators everything (an analyst with a jurisdiction: under that prefix),
department staff the cases assigned to them, grid workers and call-takers their own reports,
a chief the events along the chief's roads.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from api.auth.roles import Actor, Role, chief_street
from api.errors import Forbidden
from api.maps.access import MapKind, may_open, may_open_chief

STATS_ROLES = frozenset({Role.ADMIN, Role.ANALYST, Role.DISTRICT, Role.STREET, Role.COMMUNITY})


@dataclass(frozen=True)
class EventFilter:
    """The raw events a caller may see: each field narrows, None does not.

    ``prefix`` a street or district code prefix, ``community`` one community, ``reporter``
    a user's own reports, ``department`` the cases assigned to a department, ``chief`` the
    events within 30 m of a chief's roads.
    """

    prefix: str | None = None
    community: str | None = None
    reporter: int | None = None
    department: str | None = None
    chief: str | None = None


@dataclass(frozen=True)
class StatsScope:
    """The hot spot scope whose statistics a tile draws, or one chief's (``chief``, of the
    street ``code``): the chief's roads, the significant grid cells along them."""

    kind: MapKind
    code: str | None = None
    chief: str | None = None


def event_filter(actor: Actor, *, scope: str | None = None) -> EventFilter:
    """The raw events ``actor`` may see on the events layer, within the area ``scope`` (a
    district or street code, as a street's map asks) when given; 403 naming ``scope`` when
    it lies outside the caller's own area.

    >>> event_filter(Actor(1, Role.STREET, "110102020"))
    EventFilter(prefix='110102020', community=None, reporter=None, department=None, chief=None)
    >>> event_filter(Actor(1, Role.DISTRICT, "110102"), scope="110102020").prefix
    '110102020'
    >>> event_filter(Actor(7, Role.GRID_WORKER, "110102020")).reporter
    7
    """
    found = _own_events(actor)
    if scope is None:
        return found
    own = found.prefix or ""
    if scope.startswith(own):
        return replace(found, prefix=scope)
    if own.startswith(scope):
        return found
    raise Forbidden(
        f"a {actor.role} user ({actor.jurisdiction or 'city-wide'}) may not see the events "
        f"of {scope}",
        field="scope",
    )


def _own_events(actor: Actor) -> EventFilter:
    j = actor.jurisdiction
    match actor.role:
        case Role.ADMIN:
            return EventFilter()
        case Role.ANALYST:
            return EventFilter(prefix=j)
        case Role.DISTRICT | Role.STREET if j:
            return EventFilter(prefix=j)
        case Role.COMMUNITY if j:
            return EventFilter(prefix=j[:9], community=j)
        case Role.DEPARTMENT if j:
            return EventFilter(department=j)
        case Role.CHIEF if j and chief_street(j):
            return EventFilter(prefix=chief_street(j), chief=j)
    # grid workers, call-takers (and a role without its jurisdiction): their own reports
    return EventFilter(reporter=actor.id)


def _own_scope(actor: Actor) -> StatsScope:
    """The widest scope the caller's own area gives: the city, a district or a street."""
    j = actor.jurisdiction
    if actor.role is Role.COMMUNITY and j:
        return StatsScope("street", j[:9])
    if j and len(j) == 6:
        return StatsScope("district", j)
    if j and len(j) == 9:
        return StatsScope("street", j)
    return StatsScope("city")


def stats_scope(actor: Actor, *, layer: str, scope: str | None) -> StatsScope:
    """The scope of an aggregate layer for ``actor``: ``scope`` (a district or street code)
    or by default the caller's own area; 403 when the caller may not open its map.

    >>> stats_scope(Actor(1, Role.STREET, "110102020"), layer="hotspots", scope=None)
    StatsScope(kind='street', code='110102020', chief=None)
    """
    if actor.role is Role.CHIEF and layer == "roads":
        street = chief_street(actor.jurisdiction)
        if street is not None and scope in (None, street):
            return StatsScope("street", street, chief=actor.jurisdiction)
    elif actor.role in STATS_ROLES:
        chosen = _own_scope(actor) if scope is None else _scope_of(scope)
        if may_open(actor, kind=chosen.kind, code=chosen.code):
            return chosen
    where = f"of {scope}" if scope else "of the city"
    raise Forbidden(
        f"a {actor.role} user ({actor.jurisdiction or 'city-wide'}) may not see the {layer} "
        f"layer {where}",
        field="scope" if scope else "layer",
    )


def chief_scope(actor: Actor, *, layer: str, ref: str, street_code: str) -> StatsScope:
    """The scope of an aggregate layer drawn on the map of chief ``ref`` (of
    ``street_code``); 403 naming ``chief`` when ``actor`` may not open that map.

    >>> chief_scope(Actor(1, Role.STREET, "110102020"), layer="roads", ref="C110102020-01",
    ...             street_code="110102020")
    StatsScope(kind='street', code='110102020', chief='C110102020-01')
    """
    if may_open_chief(actor, ref=ref, street_code=street_code):
        return StatsScope("street", street_code, chief=ref)
    raise Forbidden(
        f"a {actor.role} user ({actor.jurisdiction or 'city-wide'}) may not see the {layer} "
        f"layer of street-and-alley chief {ref}",
        field="chief",
    )


def _scope_of(code: str) -> StatsScope:
    return StatsScope("district" if len(code) == 6 else "street", code)
