"""Reports from grid workers, the 12345 hotline and residents (idempotent, deduplicated)."""
