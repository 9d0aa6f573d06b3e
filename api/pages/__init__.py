"""The pages people use: login, pin drop, triage queue, whistle board (static shells)."""
