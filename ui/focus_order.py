"""Keyboard focus that follows the screen: the controls a technician can see, dock by dock,
top to bottom and left to right — never one in a dock hidden behind another's tab, never a
hidden container."""

from __future__ import annotations

from collections.abc import Iterable

from PySide6.QtCore import QPoint, Qt
from PySide6.QtWidgets import QApplication, QDockWidget, QWidget


def focus_chain(docks: Iterable[QDockWidget]) -> list[QWidget]:
    """The Tab stops of ``docks`` in screen order (docks as given)."""
    chain: list[QWidget] = []
    for dock in docks:
        if not _shown(dock):
            continue
        body = dock.widget()
        if body is None:
            continue
        stops = [w for w in body.findChildren(QWidget) if _is_stop(w, body)]
        stops.sort(key=_position)
        chain.extend(stops)
    return chain


def move_focus(window: QWidget, docks: Iterable[QDockWidget], *, forward: bool) -> bool:
    """Move the focus to the next (or previous) Tab stop after the focused control."""
    chain = focus_chain(docks)
    if not chain:
        return False
    current = QApplication.focusWidget()
    index = _index_in(chain, current)
    if index is None:
        target = chain[0] if forward else chain[-1]
    else:
        target = chain[(index + (1 if forward else -1)) % len(chain)]
    reason = Qt.FocusReason.TabFocusReason if forward else Qt.FocusReason.BacktabFocusReason
    target.setFocus(reason)
    return True


def _shown(dock: QDockWidget) -> bool:
    """On screen: visible, and not the dock hidden behind another's tab (Qt keeps those
    "visible" but moves them off screen)."""
    return dock.isVisible() and not dock.visibleRegion().isEmpty()


def _is_stop(widget: QWidget, root: QWidget) -> bool:
    if not widget.focusPolicy() & Qt.FocusPolicy.TabFocus or not widget.isEnabled():
        return False
    if widget.focusProxy() is not None:
        return False  # its proxy is the stop
    return widget.isVisibleTo(root)


def _position(widget: QWidget) -> tuple[int, int]:
    point = widget.mapToGlobal(QPoint(0, 0))
    return point.y(), point.x()


def _index_in(chain: list[QWidget], widget: QWidget | None) -> int | None:
    """Where ``widget`` (or the control it is part of) sits in the chain."""
    while widget is not None:
        if widget in chain:
            return chain.index(widget)
        widget = widget.parentWidget()
    return None
