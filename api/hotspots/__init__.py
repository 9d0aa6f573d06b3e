"""Hotspots for street-and-alley chiefs: stored events, statistics, map pages."""
