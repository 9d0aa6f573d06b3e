"""Spatial reasoning: coordinate systems, locating, routing, statistics, map layers (pure)."""
