"""Errors a technician can act on: their message is shown as it is."""

from __future__ import annotations


class UserFacingError(Exception):
    """Bad input or a refused action; ``str(error)`` is a complete, plain-language message."""
