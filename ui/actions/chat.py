"""The conversation: stop, regenerate, attach."""

from __future__ import annotations

from ui.actions.registry import ActionSpec
from ui.chat_dock.dock import ChatDock
from ui.session_state import SessionState


def chat_actions(chat: ChatDock, state: SessionState) -> list[ActionSpec]:
    return [
        ActionSpec(
            "chat.stop",
            "&Stop the reply",
            "Chat",
            chat.stop,
            ("Ctrl+.",),
            enabled_when=lambda: state.streaming,
            keywords=("cancel", "generation"),
        ),
        ActionSpec(
            "chat.regenerate",
            "&Regenerate the last reply",
            "Chat",
            chat.regenerate,
            ("Ctrl+Shift+R",),
            enabled_when=lambda: state.current is not None and not state.streaming,
            keywords=("retry", "again"),
        ),
        ActionSpec(
            "chat.attach",
            "&Attach screenshots or logs…",
            "Chat",
            chat.choose_attachments,
            ("Ctrl+Shift+A",),
            enabled_when=lambda: state.current is not None,
            keywords=("file", "image", "upload"),
        ),
    ]
