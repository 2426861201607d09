"""Ending a triage: the resolution note and the escalation package (SPEC §9)."""

from psa.provider import NoteKind

__all__ = ["NoteKind"]
