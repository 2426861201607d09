"""Team preferences: one lazily created row per account, merged key by key."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from storage.models import AccountSettings


def get_preferences(session: Session, account_id: str) -> dict[str, Any]:
    """The account's preferences; an empty dict (and no row created) when it has none yet."""
    row = session.get(AccountSettings, account_id)
    return dict(row.preferences) if row is not None else {}


def merge_preferences(session: Session, account_id: str, patch: dict[str, Any]) -> dict[str, Any]:
    """Merge ``patch`` into the preferences, keeping keys it does not mention.

    A key set to None is removed. The row is created on the first write.
    """
    row = session.get(AccountSettings, account_id)
    if row is None:
        row = AccountSettings(account_id=account_id, preferences={})
        session.add(row)
    merged = dict(row.preferences)
    for key, value in patch.items():
        if value is None:
            merged.pop(key, None)
        else:
            merged[key] = value
    row.preferences = merged  # a new dict, so the JSON column is seen as changed
    session.flush()
    return dict(merged)
