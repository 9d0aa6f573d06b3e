"""The administrative geography as data: levels, codes, import, validation, unit grids (pure)."""
