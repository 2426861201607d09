"""One registry of every user action: menus, the command palette and the shortcuts overlay
all read from it, so a shortcut rebound here changes everywhere at once."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from PySide6.QtCore import QObject, Qt, Signal
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QWidget


@dataclass(frozen=True)
class ActionSpec:
    """A user action: stable id, words a technician would search for, and what it does."""

    id: str
    text: str
    category: str
    handler: Callable[[], None]
    shortcuts: tuple[str, ...] = ()
    enabled_when: Callable[[], bool] | None = None
    description: str = ""
    # Extra words the palette matches on (e.g. "ticket" for New session).
    keywords: tuple[str, ...] = field(default=())


class ActionRegistry(QObject):
    """Owns one QAction per ActionSpec, attached to the main window so shortcuts work there
    (and in its floating docks)."""

    sig_actions_changed = Signal()
    """An action was added, rebound, or its enabled state changed."""

    def __init__(self, window: QWidget) -> None:
        super().__init__(window)
        self._window = window
        self._specs: dict[str, ActionSpec] = {}
        self._actions: dict[str, QAction] = {}

    # ---- Public API

    def register(self, spec: ActionSpec) -> QAction:
        if spec.id in self._specs:
            raise ValueError(f"action {spec.id!r} registered twice")
        action = QAction(spec.text, self._window)
        action.setObjectName(f"action_{spec.id}")
        action.setShortcuts([QKeySequence(s) for s in spec.shortcuts])
        action.setShortcutContext(Qt.ShortcutContext.WindowShortcut)
        if spec.description:
            action.setStatusTip(spec.description)
        action.triggered.connect(lambda _checked=False, s=spec: self._run(s))
        self._window.addAction(action)
        self._specs[spec.id] = spec
        self._actions[spec.id] = action
        self.sig_actions_changed.emit()
        return action

    def register_all(self, specs: Iterable[ActionSpec]) -> None:
        for spec in specs:
            self.register(spec)

    def action(self, action_id: str) -> QAction:
        return self._actions[action_id]

    def spec(self, action_id: str) -> ActionSpec:
        return self._specs[action_id]

    def specs(self) -> list[ActionSpec]:
        return list(self._specs.values())

    def is_enabled(self, action_id: str) -> bool:
        return self._actions[action_id].isEnabled()

    def trigger(self, action_id: str) -> bool:
        """Run an action the way its shortcut would; False when it is disabled now."""
        self.refresh()
        action = self._actions[action_id]
        if not action.isEnabled():
            return False
        action.trigger()
        return True

    def shortcut_text(self, action_id: str) -> str:
        """The action's shortcuts as the platform writes them (⌘K on macOS, Ctrl+K elsewhere)."""
        return ", ".join(
            sequence.toString(QKeySequence.SequenceFormat.NativeText)
            for sequence in self._actions[action_id].shortcuts()
        )

    def set_shortcuts(self, action_id: str, shortcuts: Iterable[str]) -> None:
        self._actions[action_id].setShortcuts([QKeySequence(s) for s in shortcuts])
        self.sig_actions_changed.emit()

    def refresh(self) -> None:
        """Re-evaluate every ``enabled_when``: call after the selection or state changes."""
        changed = False
        for action_id, spec in self._specs.items():
            enabled = spec.enabled_when() if spec.enabled_when is not None else True
            action = self._actions[action_id]
            if action.isEnabled() != enabled:
                action.setEnabled(enabled)
                changed = True
        if changed:
            self.sig_actions_changed.emit()

    # ---- Private

    def _run(self, spec: ActionSpec) -> None:
        if spec.enabled_when is not None and not spec.enabled_when():
            return
        spec.handler()
