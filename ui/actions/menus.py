"""The menu bar: which actions each menu holds, in order (None: a separator)."""

from __future__ import annotations

from PySide6.QtWidgets import QMenuBar

from ui.actions.registry import ActionRegistry

MENUS: dict[str, list[str | None]] = {
    "&File": ["app.settings", None, "app.quit"],
    "&Edit": ["edit.undo"],
    "&Sessions": [
        "session.new",
        "session.new_for_ticket",
        "session.rename",
        "session.delete",
        None,
        "session.filter",
        "session.next",
        "session.previous",
        None,
        "session.export",
        "session.copy_markdown",
        "session.posted_notes",
    ],
    "&View": [
        "view.sessions",
        "view.chat",
        "view.task_lane",
        "scripts.library",
        None,
        "view.toggle_sessions",
        "view.toggle_chat",
        "view.toggle_task_lane",
        "view.toggle_scripts",
        None,
        "view.reset_layout",
    ],
    "&Chat": ["chat.stop", "chat.regenerate", "chat.attach"],
    "&Triage": [
        "lane.add_note",
        None,
        "fix.apply",
        "fix.dismiss",
        "fix.history",
        None,
        "fix.worked",
        "fix.failed",
        "fix.partial",
        "fix.pending",
        "fix.confirm_outcome",
        "fix.reject_outcome",
        "fix.toggle_banner",
        None,
        "ticket.resolve",
        "ticket.escalate",
        "ticket.fetch",
        "ticket.log_time",
    ],
    "Sc&ripts": [
        "scripts.generator",
        "scripts.builder",
        "scripts.standalone",
        "scripts.library",
        "scripts.new",
        "scripts.review",
    ],
    "&Help": ["app.palette", "app.shortcuts", None, "app.about"],
}


def build_menus(menus: QMenuBar, registry: ActionRegistry) -> None:
    menus.setObjectName("menuBar")
    for title, action_ids in MENUS.items():
        menu = menus.addMenu(title)
        menu.setObjectName(f"menu{title.replace('&', '')}")
        for action_id in action_ids:
            if action_id is None:
                menu.addSeparator()
            else:
                menu.addAction(registry.action(action_id))
        menu.aboutToShow.connect(registry.refresh)
