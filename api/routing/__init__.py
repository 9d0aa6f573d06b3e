"""Locate and route: the spatial router as a service (PostGIS lookups + duty rules)."""
