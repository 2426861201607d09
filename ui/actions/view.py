"""The window itself: go to a dock, show or hide one, reset the layout, find a session, and
the app's own actions (palette, shortcuts, settings, about, quit)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from flowpilot_desktop import APP_NAME
from ui.actions.registry import ActionSpec

if TYPE_CHECKING:
    from ui.main_window import MainWindow


def view_actions(window: MainWindow) -> list[ActionSpec]:
    docks = (
        ("sessions", "Sessions", window.sessions_dock),
        ("chat", "Chat", window.chat_dock),
        ("task_lane", "Task lane", window.task_lane_dock),
        ("scripts", "Scripts", window.scripts_dock),
    )
    toggles = [
        ActionSpec(
            f"view.toggle_{name}",
            f"Show/hide {label} dock",
            "View",
            lambda d=dock: d.setVisible(not d.isVisible()),
            (f"Ctrl+Shift+{number}",),
        )
        for number, (name, label, dock) in enumerate(docks, start=1)
    ]
    return [
        ActionSpec(
            "session.filter",
            "&Find session…",
            "Sessions",
            window.focus_session_filter,
            ("Ctrl+L",),
            keywords=("filter", "search"),
        ),
        ActionSpec(
            "view.sessions",
            "Go to &Sessions",
            "View",
            window.focus_sessions,
            ("Alt+1",),
        ),
        ActionSpec("view.chat", "Go to &Chat", "View", window.focus_chat, ("Alt+2",)),
        ActionSpec(
            "view.task_lane",
            "Go to &Task lane",
            "View",
            window.focus_task_lane,
            ("Alt+3",),
        ),
        *toggles,
        ActionSpec(
            "view.reset_layout",
            "&Reset layout",
            "View",
            window.reset_layout,
            description="Put every dock back where it started",
        ),
        ActionSpec(
            "app.palette",
            "Command &palette…",
            "Help",
            window.show_palette,
            ("Ctrl+K",),
            keywords=("commands", "actions"),
        ),
        ActionSpec(
            "app.shortcuts",
            "&Keyboard shortcuts",
            "Help",
            window.show_shortcuts,
            ("F1", "?"),
            keywords=("help", "keys"),
        ),
        ActionSpec(
            "app.settings",
            "&Settings…",
            "File",
            window.open_settings,
            ("Ctrl+,",),
            keywords=("preferences", "api key", "connectwise", "keyring"),
        ),
        ActionSpec("app.quit", "&Quit", "File", window.close, ("Ctrl+Q",), keywords=("exit",)),
        ActionSpec(
            "app.about",
            f"&About {APP_NAME}",
            "Help",
            window.show_about,
            keywords=("version", "editor", "scintilla"),
        ),
    ]
