"""Which ConnectWise status Resolve and Escalate move a ticket to (team preferences).

Chosen in Settings from the live status list of one board, and stored by id *and* name: a
ticket on another board is moved to the status of the same name on its own board.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from psa.provider import NoteKind

_PREFIX = {NoteKind.RESOLUTION: "cw_resolved_status", NoteKind.ESCALATION: "cw_escalated_status"}
BOARD_ID = "cw_status_board_id"
BOARD_NAME = "cw_status_board_name"


@dataclass(frozen=True)
class StatusTarget:
    board_id: int | None
    board: str
    status_id: int
    status: str

    def as_payload(self) -> dict[str, Any]:
        return {
            "board_id": self.board_id,
            "board": self.board,
            "status_id": self.status_id,
            "status": self.status,
        }

    @classmethod
    def from_payload(cls, data: dict[str, Any]) -> StatusTarget:
        return cls(
            data.get("board_id"),
            str(data.get("board") or ""),
            int(data["status_id"]),
            str(data["status"]),
        )


def target_for(preferences: dict[str, Any], kind: NoteKind) -> StatusTarget | None:
    prefix = _PREFIX[kind]
    status_id = preferences.get(f"{prefix}_id")
    if not isinstance(status_id, int):
        return None
    board_id = preferences.get(BOARD_ID)
    return StatusTarget(
        board_id if isinstance(board_id, int) else None,
        str(preferences.get(BOARD_NAME) or ""),
        status_id,
        str(preferences.get(f"{prefix}_name") or status_id),
    )


@dataclass(frozen=True)
class StatusChoices:
    """The board and the two statuses, as Settings shows and saves them."""

    board_id: int | None = None
    board: str = ""
    resolved: tuple[int, str] | None = None  # (status id, name)
    escalated: tuple[int, str] | None = None

    @classmethod
    def from_preferences(cls, preferences: dict[str, Any]) -> StatusChoices:
        def choice(kind: NoteKind) -> tuple[int, str] | None:
            target = target_for(preferences, kind)
            return (target.status_id, target.status) if target else None

        board_id = preferences.get(BOARD_ID)
        return cls(
            board_id if isinstance(board_id, int) else None,
            str(preferences.get(BOARD_NAME) or ""),
            choice(NoteKind.RESOLUTION),
            choice(NoteKind.ESCALATION),
        )

    def to_preferences(self) -> dict[str, Any]:
        """The preferences to merge; None values remove a key (no status chosen)."""
        patch: dict[str, Any] = {BOARD_ID: self.board_id, BOARD_NAME: self.board or None}
        for kind, choice in (
            (NoteKind.RESOLUTION, self.resolved),
            (NoteKind.ESCALATION, self.escalated),
        ):
            prefix = _PREFIX[kind]
            patch[f"{prefix}_id"] = choice[0] if choice else None
            patch[f"{prefix}_name"] = choice[1] if choice else None
        return patch


def kind_label(kind: NoteKind) -> str:
    return "Resolve" if kind is NoteKind.RESOLUTION else "Escalate"
