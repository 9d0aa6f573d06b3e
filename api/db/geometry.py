"""The one adapter between shapely geometries and database geometry values."""

from __future__ import annotations

import shapely
from geoalchemy2.elements import WKBElement
from geoalchemy2.shape import from_shape, to_shape
from shapely.geometry.base import BaseGeometry

from geo.crs import STORAGE_SRID


def to_db(geom: BaseGeometry, srid: int = STORAGE_SRID) -> WKBElement:
    """Shapely geometry -> value for a Geometry column (EPSG:4326 by default)."""
    return from_shape(geom, srid=srid)


def to_ewkb_hex(geom: BaseGeometry, srid: int = STORAGE_SRID) -> str:
    """Shapely geometry -> hex EWKB for raw SQL (``ST_GeomFromEWKB(decode(:g, 'hex'))``)."""
    return str(shapely.to_wkb(shapely.set_srid(geom, srid), hex=True, include_srid=True))


def from_db(value: WKBElement) -> BaseGeometry:
    """Geometry column value -> shapely geometry."""
    return to_shape(value)
