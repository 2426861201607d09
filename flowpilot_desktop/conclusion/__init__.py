"""Ending a triage: the resolution note and the escalation package (SPEC §9)."""
