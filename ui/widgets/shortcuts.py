"""Shortcuts that belong to one widget and the widgets inside it.

PySide6 (6.11) drops the ``context`` argument of ``QShortcut(keys, parent, callable,
context=…)``: the shortcut silently becomes window-wide, and two panels with the same keys make
it ambiguous, so neither fires (Ctrl+Enter in the Script generator once the Scripts tab had
shown). The context is therefore set after construction, here, in one place.
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import Qt
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import QWidget


def local_shortcut(
    keys: QKeySequence | QKeySequence.StandardKey | str,
    widget: QWidget,
    slot: Callable[[], object],
) -> QShortcut:
    """A shortcut that fires only while the focus is in ``widget`` or inside it."""
    sequence = keys if isinstance(keys, QKeySequence) else QKeySequence(keys)
    shortcut = QShortcut(sequence, widget)
    shortcut.setContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
    shortcut.activated.connect(slot)
    return shortcut
