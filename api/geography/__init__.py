"""The administrative geography in PostGIS: generations, areas, roads and chiefs, land use."""
