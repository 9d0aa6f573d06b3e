"""The 12345 call-taker's path: the caller's words → address, category, routing."""
