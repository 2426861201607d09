"""Which Claude model each action uses (SPEC §5), stored in the team's preferences."""

from __future__ import annotations

from dataclasses import asdict, dataclass, fields, replace
from typing import Any

SONNET = "claude-sonnet-5-5"
HAIKU = "claude-haiku-5-5"
PREFERENCES_KEY = "model_tiers"

TIER_LABELS = {
    "chat": "Chat",
    "resolution_note": "Resolution note",
    "escalation_package": "Escalation package",
    "template_extraction": "Template extraction",
    "script_building": "Script building",
    "fact_synthesis": "Fact synthesis",
}


@dataclass(frozen=True)
class ModelTiers:
    chat: str = SONNET
    resolution_note: str = SONNET
    escalation_package: str = SONNET
    template_extraction: str = SONNET
    script_building: str = SONNET
    fact_synthesis: str = HAIKU

    @classmethod
    def from_preferences(cls, preferences: dict[str, Any]) -> ModelTiers:
        """Tiers from the preferences; a missing or blank entry keeps its default."""
        stored = preferences.get(PREFERENCES_KEY)
        if not isinstance(stored, dict):
            return cls()
        chosen = {
            field.name: stored[field.name].strip()
            for field in fields(cls)
            if isinstance(stored.get(field.name), str) and stored[field.name].strip()
        }
        return replace(cls(), **chosen)

    def to_preferences(self) -> dict[str, Any]:
        return {PREFERENCES_KEY: asdict(self)}
