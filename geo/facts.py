"""All the router needs about a point, in process: one generation's areas, land-use zones,
named roads with their chiefs, and the department catalogue.

The same answers as the one-statement PostGIS point lookup (``api.routing.service``
``point_facts``), by the same rules:

* the location is ``geo.locate.Locator``'s (which agrees with PostGIS by design and test);
* a zone is hit when its polygon intersects the point (its edge counts);
* the chief is the one of the nearest named road within the radius, by geodesic distance on
  the WGS-84 ellipsoid (as PostGIS measures ``geography``), ties to the smallest road ref;
* the candidate departments are the city's and those of the point's district, by code.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import shapely
from pyproj import Geod

from geo.crs import metric_xy, storage_xy, to_metric
from geo.locate import Locator, PointLocation
from geo.route import CITY_CODE, ChiefRef, Department, ZoneHit

_GEOD = Geod(ellps="WGS84")
# metric candidates are taken a little wider than the radius: Gauss-Kruger distances near
# Beijing differ from geodesic ones by a few parts in 100,000
_WIDER = 1.001


@dataclass(frozen=True)
class PointFacts:
    """What the router needs about a point."""

    located: PointLocation
    zones: list[ZoneHit]
    chief: ChiefRef | None
    catalogue: list[Department]  # the point's district and the city's departments


@dataclass(frozen=True)
class Zone:
    """A land-use zone of the generation."""

    code: str
    kind: str
    name: str
    geom: Any  # lon/lat polygon


@dataclass(frozen=True)
class ChiefRoad:
    """A named road of the generation with its street-and-alley chief."""

    ref: str
    road: str
    kind: str
    chief: str
    title: str
    geom: Any  # lon/lat line


class CityFacts:
    """One generation's facts for points, in memory (built once, read by every request)."""

    def __init__(
        self,
        locator: Locator,
        *,
        zones: list[Zone],
        roads: list[ChiefRoad],
        catalogue: list[Department],
    ) -> None:
        self.locator = locator
        self.generation = locator.generation
        self._zones = sorted(zones, key=lambda z: z.code)
        self._zone_tree = shapely.STRtree([z.geom for z in self._zones])
        self._roads = roads
        self._roads_m = np.asarray(to_metric(np.array([r.geom for r in roads], dtype=object)))
        self._road_tree = shapely.STRtree(self._roads_m)
        self._catalogue = sorted(catalogue, key=lambda d: d.code)

    def at(
        self, lon: float, lat: float, *, accuracy_m: float | None, chief_radius_m: float
    ) -> PointFacts:
        """The facts of a point (lon/lat); raises ``OutsideJurisdiction`` off the map."""
        located = self.locator.locate_point(lon, lat, accuracy_m=accuracy_m)
        return PointFacts(
            located=located,
            zones=self.zones_at(lon, lat),
            chief=self.nearest_chief(lon, lat, chief_radius_m),
            catalogue=self.departments_for(located.district.code),
        )

    def zones_at(self, lon: float, lat: float) -> list[ZoneHit]:
        """The zones the point lies in or on, by code."""
        hits = self._zone_tree.query(shapely.Point(lon, lat), predicate="intersects")
        return [ZoneHit(z.code, z.kind, z.name) for z in (self._zones[i] for i in sorted(hits))]

    def nearest_chief(self, lon: float, lat: float, radius_m: float) -> ChiefRef | None:
        """The chief of the nearest named road within ``radius_m`` (geodesic metres)."""
        point_m = shapely.Point(*metric_xy(lon, lat))
        near = self._road_tree.query(point_m, predicate="dwithin", distance=radius_m * _WIDER)
        if len(near) == 0:
            return None
        # the nearest point of each road, found in metres, measured on the ellipsoid
        ends = shapely.get_coordinates(shapely.shortest_line(self._roads_m[near], point_m))[::2]
        lons, lats = storage_xy(ends[:, 0], ends[:, 1])
        _, _, distances = _GEOD.inv(lons, lats, np.full(len(near), lon), np.full(len(near), lat))
        found = sorted(
            (float(d), self._roads[i].ref, int(i))
            for d, i in zip(np.atleast_1d(distances), near, strict=True)
            if d <= radius_m
        )
        if not found:
            return None
        distance, _, i = found[0]
        road = self._roads[i]
        return ChiefRef(
            name=road.chief,
            title=road.title,
            street_or_alley=road.road,
            kind=road.kind,
            distance_m=distance,
        )

    def departments_for(self, district_code: str) -> list[Department]:
        """The city's departments and those of the district, by code."""
        return departments_for(self._catalogue, district_code)


def departments_for(catalogue: list[Department], district_code: str) -> list[Department]:
    """The departments of ``catalogue`` (by code) that serve a point of ``district_code``:
    the city's and the district's."""
    own = ("", CITY_CODE, district_code)
    return [d for d in catalogue if d.district_code is None or d.district_code in own]
