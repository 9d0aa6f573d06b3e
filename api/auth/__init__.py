"""Users, roles, token authentication and the jurisdiction policy."""
