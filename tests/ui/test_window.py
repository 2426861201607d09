"""Main window: palette, shortcuts overlay, dock layout across restarts, accessibility."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QAbstractButton,
    QAbstractItemView,
    QApplication,
    QComboBox,
    QDockWidget,
    QLineEdit,
    QMenu,
    QMenuBar,
    QPlainTextEdit,
    QTextEdit,
)

from tests.ui.helpers import activate
from ui.palette import fuzzy_score
from ui.sessions_dock.dialogs import SessionFormDialog

INTERACTIVE = (QAbstractButton, QLineEdit, QAbstractItemView, QComboBox, QTextEdit, QPlainTextEdit)


def _active(qtbot, make_window):
    window = make_window()
    activate(qtbot, window)
    return window


def test_fuzzy_score_prefers_word_starts_and_rejects_non_matches() -> None:
    assert fuzzy_score("ns", "New session…") > fuzzy_score("ns", "Rename session…")
    assert fuzzy_score("xyz", "New session…") is None
    assert fuzzy_score("", "anything") == 0


def test_palette_filters_and_runs_an_action_with_the_keyboard(qtbot, qloop, make_window) -> None:
    window = _active(qtbot, make_window)
    qtbot.keyClick(window, Qt.Key.Key_K, Qt.KeyboardModifier.ControlModifier)
    palette = window.palette
    qtbot.waitUntil(palette.isVisible)
    assert QApplication.focusWidget() is palette.search
    all_ids = palette.visible_action_ids()
    assert "session.new" in all_ids and "app.settings" in all_ids
    assert "session.rename" not in all_ids, "actions that can't run now are not offered"

    qtbot.keyClicks(palette.search, "new sess")
    assert palette.visible_action_ids()[0] == "session.new"
    qtbot.keyClick(palette.search, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: any(d.isVisible() for d in window.findChildren(SessionFormDialog)))
    assert not palette.isVisible()


def test_palette_arrows_move_and_escape_closes(qtbot, qloop, make_window) -> None:
    window = _active(qtbot, make_window)
    window.show_palette()
    palette = window.palette
    qtbot.waitUntil(palette.isVisible)
    first = palette.results.currentRow()
    qtbot.keyClick(palette.search, Qt.Key.Key_Down)
    assert palette.results.currentRow() == first + 1
    qtbot.keyClicks(palette.search, "zzzz-no-such-action")
    assert palette.visible_action_ids() == [] and palette.empty_label.isVisible()
    qtbot.keyClick(palette.search, Qt.Key.Key_Escape)
    assert not palette.isVisible()


def test_shortcuts_overlay_lists_every_action_with_its_keys(qtbot, qloop, make_window) -> None:
    window = _active(qtbot, make_window)
    qtbot.keyClick(window, Qt.Key.Key_F1)
    overlay = window.shortcuts_overlay
    qtbot.waitUntil(overlay.isVisible)
    rows = overlay.rows()
    assert len(rows) == len(window.registry.specs())
    assert ("Sessions", "New session…", "Ctrl+N") in rows
    assert any(text == "Keyboard shortcuts" and "F1" in keys for _c, text, keys in rows)


def test_question_mark_opens_the_overlay_but_types_in_text_fields(
    qtbot, qloop, make_window
) -> None:
    window = _active(qtbot, make_window)
    window.sessions_panel.focus_filter()
    qtbot.keyClick(window.sessions_panel.filter_edit, "?")
    assert window.sessions_panel.filter_edit.text() == "?"
    assert not window.shortcuts_overlay.isVisible()
    window.sessions_panel.list_view.setFocus()
    qtbot.keyClick(window.sessions_panel.list_view, "?")
    qtbot.waitUntil(window.shortcuts_overlay.isVisible)


def test_rebinding_a_shortcut_changes_it_everywhere(qtbot, qloop, make_window) -> None:
    window = _active(qtbot, make_window)
    window.registry.set_shortcuts("session.new", ["Ctrl+Shift+N"])
    assert ("Sessions", "New session…", "Ctrl+Shift+N") in window.shortcuts_overlay.rows()
    assert window.registry.action("session.new").shortcut().toString() == "Ctrl+Shift+N"


def test_dock_layout_and_geometry_come_back_after_restart(qtbot, qloop, make_window) -> None:
    window = _active(qtbot, make_window)
    # The offscreen screen is 800x800: restoring clamps the width to it, so check the height.
    window.resize(window.width(), 610)
    window.task_lane_dock.setFloating(True)
    window.chat_dock.close()
    qtbot.waitUntil(lambda: not window.chat_dock.isVisible())
    window.close()

    again = make_window()
    assert again.task_lane_dock.isFloating()
    assert not again.chat_dock.isVisible()
    assert again.height() == 610

    again.registry.trigger("view.reset_layout")
    assert again.chat_dock.isVisible() and not again.task_lane_dock.isFloating()


def test_docks_can_be_brought_back_from_the_view_menu(qtbot, qloop, make_window) -> None:
    window = _active(qtbot, make_window)
    qtbot.keyClick(
        window,
        Qt.Key.Key_3,
        Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier,
    )
    assert not window.task_lane_dock.isVisible()
    view_menu = window.menuBar().findChild(QMenu, "menuView")
    assert window.registry.action("view.toggle_task_lane") in view_menu.actions()
    window.registry.trigger("view.toggle_task_lane")
    assert window.task_lane_dock.isVisible()


def test_every_interactive_widget_has_object_and_accessible_names(
    qtbot, qloop, make_window
) -> None:
    window = _active(qtbot, make_window)
    window.show_palette()
    window.show_shortcuts()
    roots = [window, window.palette, window.shortcuts_overlay]
    missing = []
    for root in roots:
        widgets = [w for kind in INTERACTIVE for w in root.findChildren(kind)]
        for widget in widgets:
            if widget.parent() is not None and isinstance(widget.parent(), QDockWidget):
                continue  # the dock's own float/close title buttons, named by Qt
            if isinstance(widget.parent(), (QLineEdit, QAbstractItemView, QMenuBar)):
                continue  # Qt's own parts of a named widget: clear buttons, headers, overflow
            if type(widget).__name__ in {"QDockWidgetTitleButton", "QScrollBar"}:
                continue
            if isinstance(widget.parent().parent(), QComboBox):
                continue  # a named combo box's drop-down list
            if not widget.objectName() or not widget.accessibleName():
                parent = widget.parent()
                missing.append(
                    f"{type(widget).__name__}({widget.objectName()!r}) in "
                    f"{type(parent).__name__}({parent.objectName() if parent else ''!r})"
                )
    assert missing == [], "\n".join(missing)
    for dock in window.findChildren(QDockWidget):
        assert dock.objectName() and dock.accessibleName()


def test_the_window_shows_the_selected_session_in_every_dock(qtbot, qloop, make_window) -> None:
    window = _active(qtbot, make_window)
    assert window.chat_dock.header.title_label.text() == "No session selected"
    window.runner.run(window.services.sessions.create("Printer offline", "77"))
    qloop.until(lambda: window.sessions_panel.model.rowCount() == 1)
    window.sessions_panel.select_first()
    assert window.windowTitle().startswith("Printer offline")
    assert "#77" in window.chat_dock.header.meta_label.text()


def test_task_lane_becomes_a_tab_in_a_narrow_window(qtbot, qloop, make_window) -> None:
    """Below 1200 px the lane is a tab beside the chat (the conversation keeps its height);
    wider, it is back on the right."""
    from PySide6.QtCore import Qt as QtCore_Qt

    window = _active(qtbot, make_window)
    lane, chat = window.task_lane_dock, window.chat_dock
    window.resize(1300, 800)
    qtbot.waitUntil(lambda: window.width() == 1300 and lane not in window.tabifiedDockWidgets(chat))
    window.resize(1100, 800)
    qtbot.waitUntil(lambda: lane in window.tabifiedDockWidgets(chat))
    assert chat.visibleRegion().boundingRect().height() > 500, "the chat keeps its height"
    qtbot.keyClick(window, QtCore_Qt.Key.Key_3, QtCore_Qt.KeyboardModifier.AltModifier)
    qtbot.waitUntil(lambda: not lane.visibleRegion().isEmpty())  # Alt+3 brings the lane up
    window.resize(1300, 800)
    qtbot.waitUntil(lambda: lane not in window.tabifiedDockWidgets(chat))
    qtbot.waitUntil(
        lambda: not chat.visibleRegion().isEmpty() and not lane.visibleRegion().isEmpty()
    )

    # The technician puts the lane on the left: resizing leaves it there.
    window.addDockWidget(QtCore_Qt.DockWidgetArea.LeftDockWidgetArea, window.task_lane_dock)
    window.resize(1100, 800)
    qtbot.wait(50)
    assert (
        window.dockWidgetArea(window.task_lane_dock) == QtCore_Qt.DockWidgetArea.LeftDockWidgetArea
    )


def test_the_keyring_waits_until_the_list_is_on_screen(
    qtbot, qloop, make_window, memory_keyring, monkeypatch
) -> None:
    """Its first read imports the backends (~0.2 s of a thread): not while the window starts."""
    reads: list[str] = []
    original = memory_keyring.get_password
    monkeypatch.setattr(
        memory_keyring, "get_password", lambda s, u: reads.append(u) or original(s, u)
    )
    window = make_window(load=False)
    qloop.settle(0.4)
    assert reads == []
    loaded: list[int] = []
    window.sig_sessions_loaded.connect(loaded.append)
    window.load_sessions()
    qloop.until(lambda: loaded)
    assert reads == [], "not even right after the list arrived"
    qloop.until(lambda: reads)  # then the composer learns whether there is a key
    qloop.until(window.chat_dock.composer.missing_key.isVisible)
