"""Cases: what reports become; triage, verification, evaluation and the event history."""
