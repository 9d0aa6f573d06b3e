"""Persistence: the embedded cluster, engine and sessions, the geometry adapter, migrations."""
