"""The inbox: who is told of which case event, and the fan-out that writes it."""
