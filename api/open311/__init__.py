"""Open311 GeoReport v2: services, service requests and tokens over the case workflow."""
