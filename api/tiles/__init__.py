"""Vector tiles (``GET /tiles/{layer}/{z}/{x}/{y}.mvt``) from PostGIS."""
