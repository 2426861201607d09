"""The main window: docks, menus, palette and status bar around the selected session."""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from pathlib import Path
from typing import Any

import shiboken6
from PySide6.QtCore import QSettings, Qt, QTimer, Signal
from PySide6.QtGui import QCloseEvent, QResizeEvent, QShowEvent
from PySide6.QtWidgets import QDockWidget, QLabel, QMainWindow, QMessageBox, QWidget

from flowpilot_desktop import APP_NAME
from flowpilot_desktop.changes import ChangeKind, SessionChange
from flowpilot_desktop.conclusion import NoteKind
from flowpilot_desktop.fix_outcome import BannerMode
from flowpilot_desktop.services import AppServices
from flowpilot_desktop.sessions import SessionSummary
from flowpilot_desktop.settings_service import SettingsSnapshot
from flowpilot_desktop.task_lane_service import FixView
from ui.about_dialog import AboutDialog
from ui.actions import ActionRegistry, ActionSpec
from ui.chat_dock.dock import ChatDock
from ui.conclusion.controller import ConclusionController
from ui.fix_controller import FixController
from ui.ops import TaskRunner
from ui.palette import CommandPalette
from ui.scripts.controller import ScriptsController
from ui.session_bus import SessionBus
from ui.sessions_dock.dialogs import SessionFormDialog
from ui.sessions_dock.dock import SessionsDock
from ui.settings_dialog import SettingsDialog
from ui.shortcuts_overlay import ShortcutsOverlay
from ui.task_lane.dock import TaskLaneDock
from ui.undo import UndoStack

WINDOW_STATE_VERSION = 1
STATUS_MESSAGE_MS = 8000
NARROW_WINDOW_WIDTH = 1200  # below this the task lane docks at the bottom (SPEC §6)
BOTTOM_LANE_HEIGHT = 260
SDK_WARMUP_DELAY_MS = 1500
DAILY_BACKUP_DELAY_MS = 10_000  # after start-up settles: the copy is not start-up work


class MainWindow(QMainWindow):
    """Composes the docks; every user action goes through the action registry."""

    sig_sessions_loaded = Signal(int)
    """The session list finished loading (number of sessions)."""
    sig_closed = Signal()
    """The window closed (its layout is saved): the app may shut down."""

    def __init__(
        self, services: AppServices, runner: TaskRunner, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.services = services
        self.runner = runner
        self.bus = SessionBus(self)
        self.registry = ActionRegistry(self)
        self.undo_stack = UndoStack(self)
        self.undo_stack.sig_changed.connect(lambda: self.registry.refresh())
        self._settings_dialog: SettingsDialog | None = None
        self._state_file = services.paths.window_state_file

        self.setObjectName("mainWindow")
        self.setAccessibleName(APP_NAME)
        self.setWindowTitle(APP_NAME)
        self.setDockNestingEnabled(True)
        self.setDockOptions(
            QMainWindow.DockOption.AnimatedDocks
            | QMainWindow.DockOption.AllowNestedDocks
            | QMainWindow.DockOption.AllowTabbedDocks
        )

        self.sessions_dock = SessionsDock(self)
        self.chat_dock = ChatDock(self)
        self.fixes = FixController(self, services.task_lane, runner, self.bus.publish)
        self.task_lane_dock = TaskLaneDock(self)
        self.scripts = ScriptsController(
            self, services, runner, self.bus, self._give_room_below_lane
        )
        self.scripts_dock = self.scripts.scripts_dock
        self.generator_dock = self.scripts.generator_dock
        self.sessions_panel = self.sessions_dock.panel
        self._place_docks_default()

        self._build_status_bar()
        self._register_actions()
        self._build_menus()
        self.registry.sig_actions_changed.connect(self._update_hints)
        self.registry.sig_actions_changed.connect(self._sync_conclude_buttons)
        self._update_hints()
        self.palette = CommandPalette(self.registry, self)
        self.shortcuts_overlay = ShortcutsOverlay(self.registry, self)

        self.chat_dock.attach(services.chat, runner)
        self.chat_dock.sig_open_settings.connect(self.open_settings)
        self.chat_dock.sig_usage_changed.connect(self.usage_label.setText)
        self.chat_dock.sig_turn_finished.connect(self._turn_finished)
        self.chat_dock.sig_changed.connect(self.bus.publish)
        self.chat_dock.sig_message_deleted.connect(self._message_deleted)
        self.chat_dock.sig_streaming_changed.connect(lambda _streaming: self.registry.refresh())
        self.chat_dock.sig_streaming_changed.connect(self.task_lane_dock.set_thinking)
        self._connect_task_lane()
        self.conclusion = ConclusionController(self, services, runner, self.bus, self.chat_dock)
        self.conclusion.sig_message.connect(
            lambda text: self.statusBar().showMessage(text, STATUS_MESSAGE_MS)
        )
        self._connect_scripts()
        self.sessions_panel.sig_selection_changed.connect(self.bus.select)
        self.sessions_panel.sig_activated.connect(lambda _s: self.focus_chat())
        self.bus.sig_current_session_changed.connect(self._show_session)
        self.bus.sig_session_changed.connect(self._apply_change)
        runner.sig_error.connect(self.show_error)
        runner.sig_busy_changed.connect(self._show_busy)

        self._moving_lane = False
        self._lane_placed_by_user = False
        self.resize(1360, 840)
        self.restore_layout()
        self.registry.refresh()
        self._sync_conclude_buttons()
        self.task_lane_dock.dockLocationChanged.connect(self._lane_moved)

    # ---- Public API

    def load_sessions(self) -> None:
        """Fill the session list from the database (off the GUI thread)."""
        self.runner.run(
            self.services.sessions.list_sessions(),
            on_success=self._sessions_loaded,
            title="Could not load the sessions",
        )

    def current_session(self) -> SessionSummary | None:
        return self.bus.current

    def show_error(self, title: str, message: str) -> None:
        """Non-modal: the message stays readable without blocking the loop."""
        self.statusBar().showMessage(f"{title}: {message.splitlines()[0]}", STATUS_MESSAGE_MS)
        box = QMessageBox(
            QMessageBox.Icon.Warning, title, message, QMessageBox.StandardButton.Ok, self
        )
        box.setObjectName("errorBox")
        box.setTextFormat(Qt.TextFormat.PlainText)  # error texts quote ConnectWise and the model
        box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        box.open()

    def show_notice(
        self, title: str, message: str, on_closed: Callable[[], None] | None = None
    ) -> None:
        """Something the technician should know (e.g. at start), until they close it."""
        box = QMessageBox(
            QMessageBox.Icon.Information, title, message, QMessageBox.StandardButton.Ok, self
        )
        box.setObjectName("noticeBox")
        box.setTextFormat(Qt.TextFormat.PlainText)
        box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        if on_closed is not None:
            box.finished.connect(lambda _result: on_closed())
        box.open()

    def focus_chat(self) -> None:
        self.chat_dock.show()
        self.chat_dock.raise_()
        self.chat_dock.focus_composer()

    def restore_layout(self) -> None:
        """Window geometry and dock layout from the last run, if there was one."""
        settings = self._window_settings()
        geometry = settings.value("geometry")
        state = settings.value("state")
        if geometry is not None:
            self.restoreGeometry(geometry)
        if state is not None:
            self.restoreState(state, WINDOW_STATE_VERSION)
        self._lane_placed_by_user = settings.value("lanePlacedByUser", "false") == "true"

    def save_layout(self) -> None:
        settings = self._window_settings()
        settings.setValue("geometry", self.saveGeometry())
        settings.setValue("state", self.saveState(WINDOW_STATE_VERSION))
        current = self.current_session()
        settings.setValue("lastSessionId", current.id if current else "")
        settings.setValue("lanePlacedByUser", "true" if self._lane_placed_by_user else "false")
        settings.sync()

    def reset_layout(self) -> None:
        self._moving_lane = True
        docks = (self.sessions_dock, self.chat_dock, self.task_lane_dock, self.scripts_dock)
        for dock in (*docks, self.generator_dock):
            dock.setFloating(False)
            dock.setVisible(dock is not self.generator_dock)
        self._place_docks_default()
        self._moving_lane = False
        self._lane_placed_by_user = False
        self._place_lane_for_width()

    # ---- Qt overrides

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        self._place_lane_for_width()

    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        self._place_lane_for_width()

    def closeEvent(self, event: QCloseEvent) -> None:
        self.save_layout()
        super().closeEvent(event)
        self.sig_closed.emit()

    # ---- Actions

    def new_session(self) -> None:
        dialog = SessionFormDialog(self, window_title="New triage session", submit_text="Create")
        self._open_session_form(dialog, self.services.sessions.create)

    def new_session_for_ticket(self) -> None:
        """The new-session form with the ticket number first: the ticket is fetched on open."""
        dialog = SessionFormDialog(
            self, window_title="New session for a ticket", submit_text="Create"
        )
        self._open_session_form(dialog, self.services.sessions.create)
        dialog.ticket_edit.setFocus()

    def rename_session(self) -> None:
        current = self.current_session()
        if current is None:
            return
        dialog = SessionFormDialog(
            self,
            window_title="Rename session",
            title=current.title,
            with_ticket=False,
            submit_text="Rename",
        )
        self._open_session_form(
            dialog, lambda title, _ticket: self.services.sessions.rename(current.id, title)
        )

    def delete_session(self) -> None:
        current = self.current_session()
        if current is None:
            return
        box = QMessageBox(
            QMessageBox.Icon.Question,
            "Delete session",
            f"Delete “{current.title}”?\n\nYou can bring it back with Undo "
            f"({self.registry.shortcut_text('edit.undo')}) until FlowPilot closes.",
            QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.Cancel,
            self,
        )
        box.setObjectName("confirmDeleteBox")
        box.setTextFormat(Qt.TextFormat.PlainText)
        box.setDefaultButton(QMessageBox.StandardButton.Yes)
        yes = box.button(QMessageBox.StandardButton.Yes)
        yes.setText("Delete")
        yes.setObjectName("confirmDeleteYes")
        yes.setAccessibleName("Delete session")
        box.button(QMessageBox.StandardButton.Cancel).setObjectName("confirmDeleteCancel")
        box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)

        def answered(button: int) -> None:
            if button != QMessageBox.StandardButton.Yes:
                return
            self.runner.run(
                self.services.sessions.delete(current.id),
                on_success=self._deleted,
                title="Could not delete the session",
            )

        box.finished.connect(answered)
        box.open()

    def undo(self) -> None:
        """Undo the last delete (a session or a fact)."""
        self.undo_stack.undo()

    def conclude(self, kind: NoteKind) -> None:
        """Resolve or Escalate: preview, then post to ConnectWise (SPEC §9)."""
        self.conclusion.start(kind)

    def conclusion_fetch(self) -> None:
        self.conclusion.fetch_ticket()

    @property
    def active_fix(self) -> FixView | None:
        """The session's active fix, as the task lane last loaded it."""
        return self.task_lane_dock.active_fix

    def banner_mode(self) -> BannerMode:
        state = self.task_lane_dock.state
        return state.banner_mode if state is not None else BannerMode.HIDDEN

    def open_settings(self) -> None:
        if self._settings_dialog is not None:
            self._settings_dialog.raise_()
            self._settings_dialog.activateWindow()
            return
        self.runner.run(
            self.services.settings.load(),
            on_success=self._show_settings,
            title="Could not read the settings",
        )

    def show_palette(self) -> None:
        self.palette.popup()

    def show_shortcuts(self) -> None:
        self.shortcuts_overlay.show()
        self.shortcuts_overlay.raise_()
        self.shortcuts_overlay.activateWindow()
        self.shortcuts_overlay.tree.setFocus()

    # ---- Private: building

    def _place_docks_default(self) -> None:
        self.addDockWidget(Qt.DockWidgetArea.LeftDockWidgetArea, self.sessions_dock)
        self.addDockWidget(Qt.DockWidgetArea.RightDockWidgetArea, self.chat_dock)
        self.addDockWidget(Qt.DockWidgetArea.RightDockWidgetArea, self.task_lane_dock)
        self.splitDockWidget(self.chat_dock, self.task_lane_dock, Qt.Orientation.Horizontal)
        # the library shares the chat's place (a tab); the generator opens under the lane
        self.tabifyDockWidget(self.chat_dock, self.scripts_dock)
        self.chat_dock.raise_()
        self.splitDockWidget(self.task_lane_dock, self.generator_dock, Qt.Orientation.Vertical)
        self.generator_dock.hide()
        self.resizeDocks(
            [self.sessions_dock, self.chat_dock, self.task_lane_dock],
            [280, 700, 340],
            Qt.Orientation.Horizontal,
        )

    def _place_lane_for_width(self) -> None:
        """Below NARROW_WINDOW_WIDTH the lane docks at the bottom so the chat is never crushed;
        above, on the right. A lane the technician placed (or floated) stays where it is."""
        lane = self.task_lane_dock
        if self._lane_placed_by_user or lane.isFloating() or lane.isHidden():
            return
        at_bottom = self.dockWidgetArea(lane) == Qt.DockWidgetArea.BottomDockWidgetArea
        narrow = self.width() < NARROW_WINDOW_WIDTH
        if narrow == at_bottom:
            return
        self._moving_lane = True
        if narrow:
            self.addDockWidget(Qt.DockWidgetArea.BottomDockWidgetArea, lane)
            self.resizeDocks([lane], [BOTTOM_LANE_HEIGHT], Qt.Orientation.Vertical)
        else:
            self.addDockWidget(Qt.DockWidgetArea.RightDockWidgetArea, lane)
            self.splitDockWidget(self.chat_dock, lane, Qt.Orientation.Horizontal)
        self._moving_lane = False

    def _give_room_below_lane(self, dock: QDockWidget) -> None:
        """A dock opening under the task lane (the generator) takes most of the column."""
        lane = self.task_lane_dock
        if dock.isFloating() or lane.isHidden():
            return
        if self.dockWidgetArea(lane) != self.dockWidgetArea(dock):
            return
        height = lane.height() + dock.height()
        self.resizeDocks([lane, dock], [height * 2 // 5, height * 3 // 5], Qt.Orientation.Vertical)

    def _lane_moved(self, _area: Qt.DockWidgetArea) -> None:
        if not self._moving_lane:
            self._lane_placed_by_user = True

    def _build_status_bar(self) -> None:
        status = self.statusBar()
        status.setObjectName("statusBar")
        self.busy_label = QLabel("", self)
        self.busy_label.setObjectName("statusBusy")
        self.usage_label = QLabel("", self)
        self.usage_label.setObjectName("statusUsage")
        self.usage_label.setToolTip(
            "This session's tokens, estimated cost and prompt-cache hit rate"
        )
        status.addPermanentWidget(self.usage_label)
        self.database_label = QLabel(f"Data: {self.services.database_label}", self)
        self.database_label.setObjectName("statusDatabase")
        self.database_label.setToolTip(
            "Where FlowPilot keeps sessions (secrets are in the keyring)"
        )
        status.addPermanentWidget(self.busy_label)
        status.addPermanentWidget(self.database_label)

    def _register_actions(self) -> None:
        has_session = lambda: self.current_session() is not None  # noqa: E731
        self.registry.register_all(
            [
                ActionSpec(
                    "session.new",
                    "&New session…",
                    "Sessions",
                    self.new_session,
                    ("Ctrl+N",),
                    description="Start a triage session, optionally for a ticket",
                    keywords=("ticket", "create", "start"),
                ),
                ActionSpec(
                    "session.new_for_ticket",
                    "New session for a &ticket…",
                    "Sessions",
                    self.new_session_for_ticket,
                    ("Ctrl+Shift+T",),
                    description="Type a ConnectWise ticket number; its summary is fetched",
                    keywords=("connectwise", "link", "fetch"),
                ),
                ActionSpec(
                    "session.rename",
                    "&Rename session…",
                    "Sessions",
                    self.rename_session,
                    ("F2",),
                    enabled_when=has_session,
                ),
                ActionSpec(
                    "session.delete",
                    "&Delete session…",
                    "Sessions",
                    self.delete_session,
                    ("Del",),
                    enabled_when=has_session,
                    keywords=("remove",),
                ),
                ActionSpec(
                    "edit.undo",
                    "&Undo delete",
                    "Edit",
                    self.undo,
                    ("Ctrl+Z",),
                    enabled_when=lambda: self.undo_stack.can_undo,
                    description="Bring back the last deleted session or fact",
                    keywords=("restore", "undo"),
                ),
                ActionSpec(
                    "session.next",
                    "Ne&xt session",
                    "Sessions",
                    lambda: self.sessions_panel.select_relative(1),
                    ("Ctrl+PgDown",),
                ),
                ActionSpec(
                    "session.previous",
                    "&Previous session",
                    "Sessions",
                    lambda: self.sessions_panel.select_relative(-1),
                    ("Ctrl+PgUp",),
                ),
                ActionSpec(
                    "session.filter",
                    "&Find session…",
                    "Sessions",
                    self._focus_session_filter,
                    ("Ctrl+L",),
                    keywords=("filter", "search"),
                ),
                ActionSpec(
                    "view.sessions",
                    "Go to &Sessions",
                    "View",
                    lambda: self._focus_dock(self.sessions_dock),
                    ("Alt+1",),
                ),
                ActionSpec("view.chat", "Go to &Chat", "View", self.focus_chat, ("Alt+2",)),
                ActionSpec(
                    "view.task_lane",
                    "Go to &Task lane",
                    "View",
                    lambda: self._focus_dock(self.task_lane_dock),
                    ("Alt+3",),
                ),
                ActionSpec(
                    "view.toggle_sessions",
                    "Show/hide Sessions dock",
                    "View",
                    lambda: self._toggle_dock(self.sessions_dock),
                    ("Ctrl+Shift+1",),
                ),
                ActionSpec(
                    "view.toggle_chat",
                    "Show/hide Chat dock",
                    "View",
                    lambda: self._toggle_dock(self.chat_dock),
                    ("Ctrl+Shift+2",),
                ),
                ActionSpec(
                    "view.toggle_task_lane",
                    "Show/hide Task lane dock",
                    "View",
                    lambda: self._toggle_dock(self.task_lane_dock),
                    ("Ctrl+Shift+3",),
                ),
                ActionSpec(
                    "view.toggle_scripts",
                    "Show/hide Scripts dock",
                    "View",
                    lambda: self._toggle_dock(self.scripts_dock),
                    ("Ctrl+Shift+4",),
                ),
                ActionSpec(
                    "view.reset_layout",
                    "&Reset layout",
                    "View",
                    self.reset_layout,
                    description="Put every dock back where it started",
                ),
                ActionSpec(
                    "app.palette",
                    "Command &palette…",
                    "Help",
                    self.show_palette,
                    ("Ctrl+K",),
                    keywords=("commands", "actions"),
                ),
                ActionSpec(
                    "app.shortcuts",
                    "&Keyboard shortcuts",
                    "Help",
                    self.show_shortcuts,
                    ("F1", "?"),
                    keywords=("help", "keys"),
                ),
                ActionSpec(
                    "app.settings",
                    "&Settings…",
                    "File",
                    self.open_settings,
                    ("Ctrl+,",),
                    keywords=("preferences", "api key", "connectwise", "keyring"),
                ),
                ActionSpec(
                    "app.quit", "&Quit", "File", self.close, ("Ctrl+Q",), keywords=("exit",)
                ),
                ActionSpec(
                    "app.about",
                    f"&About {APP_NAME}",
                    "Help",
                    self.show_about,
                    keywords=("version", "editor", "scintilla"),
                ),
                *self._fix_action_specs(),
                *self._script_action_specs(),
            ]
        )

    def _build_menus(self) -> None:
        menus = self.menuBar()
        menus.setObjectName("menuBar")
        menu_layout = {
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
            ],
            "Sc&ripts": ["scripts.generator", "scripts.library", "scripts.new", "scripts.review"],
            "&Help": ["app.palette", "app.shortcuts", None, "app.about"],
        }
        for title, action_ids in menu_layout.items():
            menu = menus.addMenu(title)
            menu.setObjectName(f"menu{title.replace('&', '')}")
            for action_id in action_ids:
                if action_id is None:
                    menu.addSeparator()
                else:
                    menu.addAction(self.registry.action(action_id))
            menu.aboutToShow.connect(self.registry.refresh)

    # ---- Private: reactions

    def _open_session_form(
        self,
        dialog: SessionFormDialog,
        write: Callable[[str, str], Coroutine[Any, Any, SessionChange]],
    ) -> None:
        """Open the form; each submit runs ``write``; the form closes only once it succeeded."""
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)

        def submitted(title: str, ticket: str) -> None:
            self.runner.run(
                write(title, ticket),
                on_success=lambda change: self._after_write(dialog, change, select=True),
                on_failure=lambda error: dialog.show_error(_message(error)),
            )

        dialog.sig_submitted.connect(submitted)
        dialog.open()

    def _sessions_loaded(self, sessions: list[SessionSummary]) -> None:
        self.sessions_panel.set_sessions(sessions)
        last_id = str(self._window_settings().value("lastSessionId", "") or "")
        if not (last_id and self.sessions_panel.select_session(last_id)):
            self.sessions_panel.select_first()
        if self.sessions_dock.isVisible():
            self.sessions_panel.focus_list()
        self.registry.refresh()
        self.sig_sessions_loaded.emit(len(sessions))
        # queued ConnectWise posts go out in the background, once the list is on screen
        self.services.outbox.start()
        QTimer.singleShot(DAILY_BACKUP_DELAY_MS, self, self._make_daily_backup)
        self.scripts.start()
        # Warm the assistant's SDK up once the window is on screen and idle.
        # With the window as context, the timer dies with it (tests close windows quickly).
        QTimer.singleShot(SDK_WARMUP_DELAY_MS, self, self._warm_up_assistant)

    def _after_write(
        self, dialog: SessionFormDialog | None, change: SessionChange, *, select: bool
    ) -> None:
        self.bus.publish(change)
        if dialog is not None:
            dialog.accept()
        if select:
            self.sessions_panel.select_session(change.session_id)
            self.sessions_panel.focus_list()

    def _deleted(self, change: SessionChange) -> None:
        row = self.sessions_panel.list_view.currentIndex().row()
        self.bus.publish(change)
        title = change.summary.title if change.summary else "Session"
        self.undo_stack.push(f"delete of “{title}”", lambda: self._restore_session(change))
        if not self.sessions_panel.select_row(max(row, 0)):
            self.bus.select(None)
        self.registry.refresh()
        self.statusBar().showMessage(
            f"Deleted “{title}”. Undo: {self.registry.shortcut_text('edit.undo')}",
            STATUS_MESSAGE_MS,
        )

    def _restore_session(self, change: SessionChange) -> None:
        self.runner.run(
            self.services.sessions.restore(change.session_id),
            on_success=lambda restored: self._after_write(None, restored, select=True),
            title="Could not restore the session",
        )

    def _fact_deleted(self, session_id: str, fact_id: str, text: str) -> None:
        self.undo_stack.push(
            f"delete of the fact “{text[:40]}”",
            lambda: self.task_lane_dock.restore_fact(session_id, fact_id),
        )
        self.statusBar().showMessage(
            f"Fact deleted. Undo: {self.registry.shortcut_text('edit.undo')}", STATUS_MESSAGE_MS
        )

    def _message_deleted(self, session_id: str, message_id: str, excerpt: str) -> None:
        self.undo_stack.push(
            f"delete of the message “{excerpt}”",
            lambda: self.chat_dock.restore_message(session_id, message_id),
        )
        self.statusBar().showMessage(
            "Message deleted: it won't be sent to the assistant again. "
            f"Undo: {self.registry.shortcut_text('edit.undo')}",
            STATUS_MESSAGE_MS,
        )

    def _fix_failed(self, message: str) -> None:
        if self.chat_dock.banner.isVisible():
            self.chat_dock.banner.show_error(message)
            self.statusBar().showMessage(message.splitlines()[0], STATUS_MESSAGE_MS)
        else:
            self.show_error("The fix", message)

    def _apply_change(self, change: SessionChange) -> None:
        if change.summary is None:
            return
        if ChangeKind.SESSION_DELETED in change.kinds:
            self.sessions_panel.model.remove(change.session_id)
        else:
            self.sessions_panel.model.upsert(change.summary)
        current = self.current_session()
        if current is not None and current.id == change.session_id:
            self._show_session(current)

    def _connect_task_lane(self) -> None:
        lane, banner, fixes = self.task_lane_dock, self.chat_dock.banner, self.fixes
        lane.attach(self.services.task_lane, self.runner, self.bus.publish, self._window_settings)
        self.bus.sig_session_changed.connect(lane.on_session_changed)
        lane.sig_state_loaded.connect(self.chat_dock.show_task_state)
        lane.sig_state_loaded.connect(lambda _state: self.registry.refresh())
        lane.sig_open_fix.connect(self.scripts.apply)
        lane.sig_dismiss_fix.connect(fixes.dismiss)
        lane.sig_show_history.connect(fixes.show_history)
        lane.sig_fact_deleted.connect(self._fact_deleted)
        lane.sig_undo_requested.connect(self.undo)
        lane.sig_resolve_requested.connect(lambda: self.registry.trigger("ticket.resolve"))
        lane.sig_escalate_requested.connect(lambda: self.registry.trigger("ticket.escalate"))
        banner.sig_apply.connect(self.scripts.apply)
        banner.sig_dismiss.connect(fixes.dismiss)
        banner.sig_outcome.connect(fixes.record_outcome)
        banner.sig_confirm_proposal.connect(fixes.confirm_proposal)
        banner.sig_reject_proposal.connect(fixes.reject_proposal)
        fixes.sig_failed.connect(self._fix_failed)
        fixes.sig_recorded.connect(
            lambda text: self.statusBar().showMessage(text, STATUS_MESSAGE_MS)
        )

    def _fix_action_specs(self) -> list[ActionSpec]:
        """The suggested fix and its outcome, from the keyboard (SPEC §8, §11)."""

        def when(*modes: BannerMode) -> Callable[[], bool]:
            return lambda: self.active_fix is not None and self.banner_mode() in modes

        def on_fix(handler: Callable[..., None], *args: str) -> Callable[[], None]:
            return lambda: self.active_fix is not None and handler(self.active_fix, *args)

        undecided = (BannerMode.PROPOSED, BannerMode.VERIFYING, BannerMode.NUDGE)
        open_modes = (*undecided, BannerMode.PARTIAL, BannerMode.PENDING)
        has_state = lambda: self.task_lane_dock.state is not None  # noqa: E731
        can_conclude = lambda: has_state() and self.task_lane_dock.state.exchanges > 0  # noqa: E731

        def concluded(*statuses: str) -> bool:
            current = self.current_session()
            return current is not None and current.status.removesuffix("_local") in statuses

        banner = self.chat_dock.banner
        chat = self.chat_dock
        return [
            ActionSpec(
                "chat.stop",
                "&Stop the reply",
                "Chat",
                chat.stop,
                ("Ctrl+.",),
                enabled_when=lambda: chat.streaming,
                keywords=("cancel", "generation"),
            ),
            ActionSpec(
                "chat.regenerate",
                "&Regenerate the last reply",
                "Chat",
                chat.regenerate,
                ("Ctrl+Shift+R",),
                enabled_when=lambda: self.current_session() is not None and not chat.streaming,
                keywords=("retry", "again"),
            ),
            ActionSpec(
                "chat.attach",
                "&Attach screenshots or logs…",
                "Chat",
                chat.choose_attachments,
                ("Ctrl+Shift+A",),
                enabled_when=lambda: self.current_session() is not None,
                keywords=("file", "image", "upload"),
            ),
            ActionSpec(
                "lane.add_note",
                "Add a &note to What we know",
                "Triage",
                self.task_lane_dock.open_note_editor,
                ("Ctrl+Shift+N",),
                enabled_when=lambda: self.current_session() is not None,
                keywords=("fact", "what we know", "confirmed"),
            ),
            ActionSpec(
                "fix.apply",
                "&Apply the suggested fix",
                "Triage",
                on_fix(self.scripts.apply),
                enabled_when=lambda: self.active_fix is not None,
                description="Open the fix's script",
                keywords=("script", "run"),
            ),
            ActionSpec(
                "fix.dismiss",
                "&Dismiss the suggested fix",
                "Triage",
                on_fix(self.fixes.dismiss),
                enabled_when=when(*open_modes, BannerMode.AI_CONFIRMING),
            ),
            ActionSpec(
                "fix.history",
                "Earlier fix suggestions",
                "Triage",
                lambda: self.fixes.show_history(self.task_lane_dock.state),
                enabled_when=lambda: has_state() and bool(self.task_lane_dock.state.fix_history),
                keywords=("superseded", "history"),
            ),
            ActionSpec(
                "fix.worked",
                "The fix &worked",
                "Triage",
                on_fix(self.fixes.record_outcome, "applied_success"),
                enabled_when=when(*open_modes),
                keywords=("outcome", "success"),
            ),
            ActionSpec(
                "fix.failed",
                "The fix did&n't work",
                "Triage",
                on_fix(self.fixes.record_outcome, "applied_failed"),
                enabled_when=when(*open_modes),
                keywords=("outcome", "failed"),
            ),
            ActionSpec(
                "fix.partial",
                "The fix was &partly applied…",
                "Triage",
                lambda: banner.ask_notes("applied_partial"),
                enabled_when=when(*undecided, BannerMode.PARTIAL),
                keywords=("outcome", "partial"),
            ),
            ActionSpec(
                "fix.pending",
                "Still &checking the fix…",
                "Triage",
                lambda: banner.ask_notes("applied_pending"),
                enabled_when=when(*undecided, BannerMode.PENDING),
                keywords=("outcome", "pending", "waiting"),
            ),
            ActionSpec(
                "fix.confirm_outcome",
                "&Confirm the assistant's outcome",
                "Triage",
                on_fix(self.fixes.confirm_proposal),
                enabled_when=when(BannerMode.AI_CONFIRMING),
            ),
            ActionSpec(
                "fix.reject_outcome",
                "&Reject the assistant's outcome",
                "Triage",
                on_fix(self.fixes.reject_proposal),
                enabled_when=when(BannerMode.AI_CONFIRMING),
            ),
            ActionSpec(
                "fix.toggle_banner",
                "Collapse/expand the fix &banner",
                "Triage",
                lambda: banner.set_collapsed(not banner.collapsed),
                enabled_when=lambda: banner.isVisible(),
            ),
            ActionSpec(
                "ticket.resolve",
                "&Resolve…",
                "Triage",
                lambda: self.conclude(NoteKind.RESOLUTION),
                ("Ctrl+Shift+D",),
                enabled_when=lambda: can_conclude() and not concluded("resolved"),
                keywords=("close", "resolution note", "connectwise"),
            ),
            ActionSpec(
                "ticket.fetch",
                "&Fetch ticket from ConnectWise",
                "Triage",
                self.conclusion_fetch,
                enabled_when=lambda: bool(
                    self.current_session() and self.current_session().ticket_ref
                ),
                keywords=("refresh", "ticket", "connectwise", "snapshot"),
            ),
            ActionSpec(
                "ticket.escalate",
                "&Escalate…",
                "Triage",
                lambda: self.conclude(NoteKind.ESCALATION),
                ("Ctrl+Shift+E",),
                enabled_when=lambda: can_conclude() and not concluded("resolved", "escalated"),
                keywords=("handoff", "connectwise"),
            ),
        ]

    def _script_action_specs(self) -> list[ActionSpec]:
        """The fix's script and the team's library (SPEC §7, §9, §11)."""
        scripts = self.scripts
        return [
            ActionSpec(
                "scripts.generator",
                "Script &generator for the fix",
                "Scripts",
                lambda: scripts.toggle_generator(self.active_fix),
                ("Ctrl+G",),
                enabled_when=lambda: self.current_session() is not None,
                description="Show or hide the script of the suggested fix",
                keywords=("template", "match", "parameters", "script"),
            ),
            ActionSpec(
                "scripts.library",
                "Go to &Scripts",
                "Scripts",
                scripts.show_library,
                ("Alt+4",),
                description="The team's script templates: browse, search, generate, edit",
                keywords=("library", "templates", "search"),
            ),
            ActionSpec(
                "scripts.new",
                "&New script template…",
                "Scripts",
                lambda: scripts.new_template(),
                keywords=("create", "template", "library"),
            ),
            ActionSpec(
                "scripts.review",
                "&Review drafted scripts…",
                "Scripts",
                lambda: scripts.review_drafts(),
                enabled_when=lambda: scripts.pending_count > 0,
                description="Scripts run in sessions, waiting to become team templates",
                keywords=("templatize", "drafts", "pending"),
            ),
        ]

    def _connect_scripts(self) -> None:
        scripts = self.scripts
        scripts.sig_message.connect(
            lambda text: self.statusBar().showMessage(text, STATUS_MESSAGE_MS)
        )
        scripts.sig_failed.connect(self.show_error)
        scripts.sig_pending_changed.connect(lambda _count: self.registry.refresh())
        self.task_lane_dock.sig_state_loaded.connect(scripts.fix_state)
        self.conclusion.sig_concluded.connect(
            lambda session_id, kind: (
                kind is NoteKind.RESOLUTION and scripts.after_resolve(session_id)
            )
        )

    def show_about(self) -> None:
        box = AboutDialog(self.services.database_label, self)
        box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        box.open()

    def _make_daily_backup(self) -> None:
        """Today's copy of the database (off the GUI thread; a failure is only logged)."""
        self.runner.run(
            self.services.database_care.make_daily_backup(), title="Could not back up the database"
        )

    def _warm_up_assistant(self) -> None:
        self.runner.run(self.services.chat.prepare(), title="Could not load the assistant's SDK")

    def _turn_finished(self, session_id: str, _result: object) -> None:
        self.runner.run(
            self.services.sessions.touched(session_id, ChangeKind.ASSISTANT_TURN),
            on_success=self.bus.publish,
            title="Could not refresh the session",
        )

    def _show_session(self, summary: SessionSummary | None) -> None:
        if summary is None:
            self.usage_label.setText("")
        self.chat_dock.show_session(summary)
        self.task_lane_dock.show_session(summary)
        title = f"{summary.title} — {APP_NAME}" if summary else APP_NAME
        self.setWindowTitle(title)
        self.registry.refresh()

    def _sync_conclude_buttons(self) -> None:
        self.task_lane_dock.set_conclude_enabled(
            self.registry.is_enabled("ticket.resolve"), self.registry.is_enabled("ticket.escalate")
        )

    def _update_hints(self) -> None:
        self.sessions_panel.set_shortcut_hints(
            new_session=self.registry.shortcut_text("session.new"),
            filter_sessions=self.registry.shortcut_text("session.filter"),
        )

    def _show_busy(self, busy: bool) -> None:
        self.busy_label.setText("Working…" if busy else "")

    def _show_settings(self, snapshot: SettingsSnapshot) -> None:
        dialog = SettingsDialog(snapshot, self)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        self._settings_dialog = dialog
        dialog.finished.connect(lambda _result: setattr(self, "_settings_dialog", None))

        def save_requested(update: object) -> None:
            self.runner.run(
                self.services.settings.save(update),
                on_success=lambda _none: self._settings_saved(dialog),
                on_failure=lambda error: dialog.show_error(_message(error)),
            )

        dialog.sig_save_requested.connect(save_requested)
        self._connect_settings_psa(dialog)
        self._connect_settings_backups(dialog)
        dialog.open()

    def _connect_settings_backups(self, dialog: SettingsDialog) -> None:
        care = self.services.database_care

        def restore(path: str) -> None:
            def chosen(_none: None) -> None:
                message = (
                    "The copy will be restored the next time FlowPilot starts (the current "
                    "database is kept beside it). Quit and start FlowPilot again to do it now."
                )
                if shiboken6.isValid(dialog):
                    dialog.show_restore_result(True, message)
                self.statusBar().showMessage(message, STATUS_MESSAGE_MS)

            self.runner.run(
                care.restore_at_next_start(Path(path)),
                on_success=chosen,
                on_failure=lambda error: (
                    shiboken6.isValid(dialog) and dialog.show_restore_result(False, _message(error))
                ),
            )

        dialog.sig_backups_requested.connect(
            lambda: self.runner.run(
                care.backups(),
                on_success=lambda backups: (
                    shiboken6.isValid(dialog) and dialog.set_backups(backups)
                ),
                title="Could not list the database copies",
            )
        )
        dialog.sig_restore_requested.connect(restore)

    def _connect_settings_psa(self, dialog: SettingsDialog) -> None:
        """Test connection and the live board/status lists, with what is typed in Settings."""
        psa = self.services.psa

        def failed(error: Exception) -> None:
            if shiboken6.isValid(dialog):
                dialog.show_test_result(False, _message(error))

        def alive(callback: Callable[..., None]) -> Callable[..., None]:
            return lambda *args: shiboken6.isValid(dialog) and callback(*args)

        dialog.sig_test_requested.connect(
            lambda overrides: self.runner.run(
                psa.test_connection(overrides),
                on_success=alive(lambda text: dialog.show_test_result(True, text)),
                on_failure=failed,
            )
        )
        dialog.sig_boards_requested.connect(
            lambda overrides: self.runner.run(
                psa.boards(overrides), on_success=alive(dialog.set_boards), on_failure=failed
            )
        )
        dialog.sig_statuses_requested.connect(
            lambda board_id, overrides: self.runner.run(
                psa.board_statuses(board_id, overrides),
                on_success=alive(lambda statuses: dialog.set_statuses(board_id, statuses)),
                on_failure=failed,
            )
        )

    def _settings_saved(self, dialog: SettingsDialog) -> None:
        dialog.accept()
        self.chat_dock.refresh_key_state()
        self.statusBar().showMessage("Settings saved.", STATUS_MESSAGE_MS)

    def _focus_session_filter(self) -> None:
        self._focus_dock(self.sessions_dock)
        self.sessions_panel.focus_filter()

    def _focus_dock(self, dock: QWidget) -> None:
        dock.show()
        dock.raise_()
        if dock is self.sessions_dock:
            self.sessions_panel.focus_list()
        else:
            dock.widget().setFocus(Qt.FocusReason.ShortcutFocusReason)

    def _toggle_dock(self, dock: QWidget) -> None:
        dock.setVisible(not dock.isVisible())

    def _window_settings(self) -> QSettings:
        Path(self._state_file).parent.mkdir(parents=True, exist_ok=True)
        return QSettings(str(self._state_file), QSettings.Format.IniFormat)


def _message(error: Exception) -> str:
    from ui.ops import describe_error

    return describe_error(error)
