"""The main window: the docks and where they sit, the menus, the status bar.

What each area does lives with the area: its controller (sessions, fixes, scripts, Resolve
and Escalate, settings) and its actions (``ui/actions/``). The selected session and its state
live in the session model (``ui/session_state.py``) that every view renders from; see
docs/architecture.md for how a change flows from a service write to every screen.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import QEvent, QSettings, Qt, QTimer, Signal
from PySide6.QtGui import QCloseEvent, QResizeEvent, QShowEvent
from PySide6.QtWidgets import QDockWidget, QLabel, QMainWindow, QMessageBox, QWidget

from flowpilot_desktop import APP_NAME
from flowpilot_desktop.conclusion import NoteKind
from flowpilot_desktop.deep_links import DeepLinkError, LinkTarget, open_link, parse_deep_link
from flowpilot_desktop.services import AppServices
from flowpilot_desktop.sessions import SessionSummary
from ui.about_dialog import AboutDialog
from ui.actions import ActionRegistry
from ui.actions.chat import chat_actions
from ui.actions.fix import fix_actions
from ui.actions.menus import build_menus
from ui.actions.scripts import script_actions
from ui.actions.sessions import session_actions
from ui.actions.ticket import ticket_actions
from ui.actions.view import view_actions
from ui.chat_dock.dock import ChatDock
from ui.conclusion.controller import ConclusionController
from ui.export_controller import ExportController
from ui.fix_controller import FixController
from ui.focus_order import focus_chain, move_focus
from ui.ops import TaskRunner, describe_error
from ui.palette import CommandPalette
from ui.script_builder.controller import ScriptBuilderController
from ui.script_builder.standalone import StandaloneBuilderController
from ui.scripts.controller import ScriptsController
from ui.session_state import SessionState
from ui.sessions_dock.controller import SessionsController
from ui.sessions_dock.dock import SessionsDock
from ui.settings_controller import SettingsController
from ui.shortcuts_overlay import ShortcutsOverlay
from ui.task_lane.dock import TaskLaneDock
from ui.time_entry_controller import TimeEntryController
from ui.undo import UndoStack
from ui.window_layout import Docks, WindowLayout

log = logging.getLogger(__name__)
STATUS_MESSAGE_MS = 8000
BACKGROUND_START_DELAY_MS = 300  # the key check, the outbox, the template catalogue
SDK_WARMUP_DELAY_MS = 1500
DAILY_BACKUP_DELAY_MS = 10_000  # after start-up settles: the copy is not start-up work


class MainWindow(QMainWindow):
    """Composes the docks and the controllers; every user action is in the registry."""

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
        self.session_state = SessionState(runner, services.task_lane, self)
        services.changes.subscribe(self.session_state.publish)
        self.registry = ActionRegistry(self)
        self.undo_stack = UndoStack(self)
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

        state = self.session_state
        self.sessions_dock = SessionsDock(self)
        self.sessions_panel = self.sessions_dock.panel
        self.chat_dock = ChatDock(self)
        self.task_lane_dock = TaskLaneDock(self)
        self.sessions = SessionsController(
            self,
            services.sessions,
            runner,
            state,
            self.sessions_panel,
            self.undo_stack,
            lambda: self.registry.shortcut_text("edit.undo"),
            focus_composer=lambda: self.focus_chat(),
        )
        self.fixes = FixController(
            self,
            services.task_lane,
            runner,
            self.undo_stack,
            lambda: self.registry.shortcut_text("edit.undo"),
        )
        self.scripts = ScriptsController(
            self, services, runner, state, lambda dock: self.dock_layout.give_room_below_lane(dock)
        )
        self.builder = ScriptBuilderController(
            self, services, runner, state, self.chat_dock, self.scripts.new_template
        )
        self.standalone_builder = StandaloneBuilderController(
            self, services, runner, self.scripts.new_template
        )
        self.scripts_dock = self.scripts.scripts_dock
        self.generator_dock = self.scripts.generator_dock
        chat = self.chat_dock
        self.dock_layout = WindowLayout(
            self,
            Docks(
                self.sessions_dock,
                chat,
                self.task_lane_dock,
                self.scripts_dock,
                self.generator_dock,
            ),
        )
        self.time_entries = TimeEntryController(self, services, runner, state)
        self.conclusion = ConclusionController(
            self,
            services,
            runner,
            state,
            chat.ticket_card,
            chat.sync_strip,
            before_conclude=self.time_entries.before_conclude,
        )
        self.settings = SettingsController(self, services, runner)
        self.exports = ExportController(self, services.export, runner, state)
        self.dock_layout.place_default()
        self._build_status_bar()

        self.registry.register_all(
            [
                *session_actions(
                    self.sessions, self.sessions_panel, state, self.undo_stack, self.exports
                ),
                *view_actions(self),
                *chat_actions(chat, state),
                *fix_actions(
                    state, self.fixes, self.scripts.apply, chat.banner, self.task_lane_dock
                ),
                *ticket_actions(self.conclusion, self.time_entries, state),
                *script_actions(self.scripts, self.builder, self.standalone_builder, state),
            ]
        )
        build_menus(self.menuBar(), self.registry)
        self.palette = CommandPalette(self.registry, self)
        self.shortcuts_overlay = ShortcutsOverlay(self.registry, self)
        self._connect()

        self._relayout = QTimer(self)
        self._relayout.setSingleShot(True)
        self._relayout.setInterval(0)
        self._relayout.timeout.connect(self._follow_width)
        self.dock_layout.fit_to_screen()
        self.dock_layout.restore(self._window_settings())
        self.dock_layout.watch_lane()
        self.registry.refresh()

    # ---- Public API

    def load_sessions(self) -> None:
        """Fill the session list from the database (off the GUI thread)."""
        self.sessions.load(str(self._window_settings().value("lastSessionId", "") or ""))

    def current_session(self) -> SessionSummary | None:
        return self.session_state.current

    def show_error(self, title: str, message: str) -> None:
        """Non-modal: the message stays readable without blocking the loop."""
        self.statusBar().showMessage(f"{title}: {message.splitlines()[0]}", STATUS_MESSAGE_MS)
        self._message_box(QMessageBox.Icon.Warning, title, message, "errorBox")

    def show_notice(
        self, title: str, message: str, on_closed: Callable[[], None] | None = None
    ) -> None:
        """Something the technician should know (e.g. at start), until they close it."""
        box = self._message_box(QMessageBox.Icon.Information, title, message, "noticeBox")
        if on_closed is not None:
            box.finished.connect(lambda _result: on_closed())

    def show_status(self, text: str) -> None:
        self.statusBar().showMessage(text, STATUS_MESSAGE_MS)

    def open_link(self, text: str) -> None:
        """A flowpilot:// link: its session selected (a ticket's newest, or a new one for the
        ticket); a link refused or a session not there is said in the status bar."""
        try:
            link = parse_deep_link(text)
        except DeepLinkError as error:
            log.info("refused a link: %s", error)
            self.show_status(str(error))
            return
        self.runner.run(
            open_link(link, self.services.sessions),
            on_success=self._link_opened,
            on_failure=lambda error: self.show_status(describe_error(error)),
            owner=self,
        )

    def _link_opened(self, target: LinkTarget) -> None:
        if self.sessions_panel.select_session(target.session_id):
            self.focus_chat()

    def open_settings(self) -> None:
        self.settings.open()

    def show_palette(self) -> None:
        self.palette.popup()

    def show_shortcuts(self) -> None:
        self.shortcuts_overlay.show()
        self.shortcuts_overlay.raise_()
        self.shortcuts_overlay.activateWindow()
        self.shortcuts_overlay.tree.setFocus()

    def show_about(self) -> None:
        box = AboutDialog(self.services.database_label, self)
        box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        box.open()

    def focus_chat(self) -> None:
        self.chat_dock.show()
        self.chat_dock.raise_()
        self.chat_dock.focus_composer()

    def focus_sessions(self) -> None:
        self.sessions_dock.show()
        self.sessions_dock.raise_()
        self.sessions_panel.focus_list()

    def focus_session_filter(self) -> None:
        self.focus_sessions()
        self.sessions_panel.focus_filter()

    def focus_task_lane(self) -> None:
        self.task_lane_dock.show()
        self.task_lane_dock.raise_()
        chain = focus_chain([self.task_lane_dock])
        if chain:
            chain[0].setFocus(Qt.FocusReason.ShortcutFocusReason)

    # ---- Layout

    def save_layout(self) -> None:
        settings = self._window_settings()
        self.dock_layout.save(settings)
        current = self.current_session()
        settings.setValue("lastSessionId", current.id if current else "")
        settings.sync()

    def reset_layout(self) -> None:
        self.dock_layout.reset()

    def _follow_width(self) -> None:
        self.dock_layout.place_lane_for_width()
        self.dock_layout.give_width_to_chat()

    # ---- Qt overrides: Tab follows the screen

    def focusNextPrevChild(self, next: bool) -> bool:
        """Tab and Shift+Tab go through what is on screen, dock by dock, top to bottom, never
        into a dock hidden behind another's tab (Qt's chain follows creation order and walks
        into hidden tabs)."""
        return move_focus(self, self._docks_in_screen_order(), forward=next)

    # ---- Layout

    # ---- Qt overrides

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        self._relayout.start()  # after the event: docks are not moved inside a resize

    def event(self, event: QEvent) -> bool:
        handled = super().event(event)
        if event.type() == QEvent.Type.MouseButtonRelease:
            self.dock_layout.remember_side_widths()  # the technician may have dragged a separator
        return handled

    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        if not event.spontaneous():
            self.dock_layout.keep_inside_screen()
        self.dock_layout.place_lane_for_width()

    def closeEvent(self, event: QCloseEvent) -> None:
        self.save_layout()
        super().closeEvent(event)
        self.sig_closed.emit()

    # ---- Private: wiring

    def _connect(self) -> None:
        state, runner = self.session_state, self.runner
        runner.sig_error.connect(self.show_error)
        runner.sig_busy_changed.connect(self._show_busy)
        for signal in (
            state.sig_current_session_changed,
            state.sig_summary_changed,
            state.sig_lane_changed,
            state.sig_streaming_changed,
        ):
            signal.connect(lambda *_args: self.registry.refresh())
        state.sig_current_session_changed.connect(self._show_title)
        state.sig_summary_changed.connect(self._show_title)
        self.undo_stack.sig_changed.connect(self.registry.refresh)
        self.registry.sig_actions_changed.connect(self._update_hints)
        self._update_hints()

        self.sessions.sig_loaded.connect(self._sessions_loaded)
        self.sessions_panel.sig_activated.connect(lambda _summary: self.focus_chat())
        chat, lane, banner, fixes = (
            self.chat_dock,
            self.task_lane_dock,
            self.chat_dock.banner,
            self.fixes,
        )
        chat.attach(self.services.chat, runner, state)
        chat.sig_open_settings.connect(self.open_settings)
        chat.sig_notice.connect(self.show_status)
        chat.sig_usage_changed.connect(self._show_usage)
        chat.sig_message_deleted.connect(self._message_deleted)
        lane.attach(self.services.task_lane, runner, state, self._window_settings)
        lane.bind_conclude_actions(
            self.registry.action("ticket.resolve"), self.registry.action("ticket.escalate")
        )
        lane.sig_open_fix.connect(self.scripts.apply)
        lane.sig_dismiss_fix.connect(fixes.dismiss)
        lane.sig_show_history.connect(fixes.show_history)
        lane.sig_fact_deleted.connect(self._fact_deleted)
        lane.sig_undo_requested.connect(self.undo_stack.undo)
        banner.sig_apply.connect(self.scripts.apply)
        banner.sig_dismiss.connect(fixes.dismiss)
        banner.sig_outcome.connect(fixes.record_outcome)
        banner.sig_confirm_proposal.connect(fixes.confirm_proposal)
        banner.sig_reject_proposal.connect(fixes.reject_proposal)
        fixes.sig_failed.connect(self._fix_failed)
        scripts = self.scripts
        scripts.sig_failed.connect(self.show_error)
        scripts.sig_build_script.connect(self.builder.open_for_fix)
        self.chat_dock.sig_open_in_builder.connect(self.builder.open_code)
        self.sessions_panel.sig_open_at_message.connect(self.chat_dock.reveal_message)
        self.task_lane_dock.sig_open_session.connect(self._open_past_session)
        scripts.sig_pending_changed.connect(lambda _count: self.registry.refresh())
        chat.composer.sig_draft_changed.connect(lambda *_draft: self.time_entries.typed())
        self.time_entries.sig_work_time.connect(chat.header.show_work_time)
        self.conclusion.sig_concluded.connect(
            lambda session_id, kind: (
                kind is NoteKind.RESOLUTION and scripts.after_resolve(session_id)
            )
        )
        self.settings.sig_saved.connect(chat.refresh_key_state)
        for controller in (
            self.sessions,
            fixes,
            scripts,
            self.builder,
            self.standalone_builder,
            self.conclusion,
            self.time_entries,
            self.settings,
            self.exports,
        ):
            controller.sig_message.connect(self.show_status)

    def _open_past_session(self, session_id: str) -> None:
        """A Seen before row: that session, selected in the list (the filter cleared if it
        hides it), and its conversation."""
        if self.sessions_panel.select_session(session_id):
            self.focus_chat()

    def _sessions_loaded(self, count: int) -> None:
        if self.sessions_dock.isVisible():
            self.sessions_panel.focus_list()
        self.registry.refresh()
        self.sig_sessions_loaded.emit(count)
        # With the window as context, the timers die with it (tests close windows quickly).
        QTimer.singleShot(BACKGROUND_START_DELAY_MS, self, self._start_background_work)
        QTimer.singleShot(SDK_WARMUP_DELAY_MS, self, self._warm_up_assistant)
        QTimer.singleShot(DAILY_BACKUP_DELAY_MS, self, self._make_daily_backup)

    def _fact_deleted(self, session_id: str, fact_id: str, text: str) -> None:
        self.undo_stack.push(
            f"delete of the fact “{text[:40]}”",
            lambda: self.task_lane_dock.restore_fact(session_id, fact_id),
        )
        self.show_status(f"Fact deleted. Undo: {self.registry.shortcut_text('edit.undo')}")

    def _message_deleted(self, session_id: str, message_id: str, excerpt: str) -> None:
        self.undo_stack.push(
            f"delete of the message “{excerpt}”",
            lambda: self.chat_dock.restore_message(session_id, message_id),
        )
        self.show_status(
            "Message deleted: it won't be sent to the assistant again. "
            f"Undo: {self.registry.shortcut_text('edit.undo')}"
        )

    def _fix_failed(self, message: str) -> None:
        if self.chat_dock.banner.isVisible():
            self.chat_dock.banner.show_error(message)
            self.show_status(message.splitlines()[0])
        else:
            self.show_error("The fix", message)

    def _start_background_work(self) -> None:
        """Once the list has been on screen a moment: whether the assistant has a key (the
        keyring's first read imports its backends, ~0.2 s of a thread that would compete with
        the first paint), queued ConnectWise posts going out, the template catalogue."""
        self.chat_dock.refresh_key_state()
        self.services.outbox.start()
        self.scripts.start()

    def _warm_up_assistant(self) -> None:
        self.runner.run(
            self.services.chat.prepare(), title="Could not load the assistant's SDK", owner=self
        )

    def _make_daily_backup(self) -> None:
        """Today's copy of the database (off the GUI thread; a failure is only logged)."""
        self.runner.run(
            self.services.database_care.make_daily_backup(),
            title="Could not back up the database",
            owner=self,
        )

    # ---- Private: building

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
        self.database_label = QLabel(f"Data: {self.services.database_label}", self)
        self.database_label.setObjectName("statusDatabase")
        self.database_label.setToolTip(
            "Where FlowPilot keeps sessions (secrets are in the keyring)"
        )
        for label in (self.usage_label, self.busy_label, self.database_label):
            label.setTextFormat(Qt.TextFormat.PlainText)
            status.addPermanentWidget(label)

    def _message_box(
        self, icon: QMessageBox.Icon, title: str, message: str, name: str
    ) -> QMessageBox:
        box = QMessageBox(icon, title, message, QMessageBox.StandardButton.Ok, self)
        box.setObjectName(name)
        box.setTextFormat(Qt.TextFormat.PlainText)  # messages quote ConnectWise and the model
        box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        box.open()
        return box

    def _show_usage(self, figures: str, explained: str) -> None:
        self.usage_label.setText(figures)
        self.usage_label.setToolTip(explained)

    def _show_title(self, summary: SessionSummary | None) -> None:
        if summary is None:
            self.usage_label.setText("")
        self.setWindowTitle(f"{summary.title} — {APP_NAME}" if summary else APP_NAME)

    def _update_hints(self) -> None:
        self.sessions_panel.set_shortcut_hints(
            new_session=self.registry.shortcut_text("session.new"),
            filter_sessions=self.registry.shortcut_text("session.filter"),
        )

    def _show_busy(self, busy: bool) -> None:
        self.busy_label.setText("Working…" if busy else "")

    def _docks_in_screen_order(self) -> list[QDockWidget]:
        docks = [
            self.sessions_dock,
            self.chat_dock,
            self.scripts_dock,
            self.task_lane_dock,
            self.generator_dock,
        ]
        return sorted(docks, key=lambda d: (d.mapToGlobal(d.rect().topLeft()).x() // 40, d.y()))

    def _window_settings(self) -> QSettings:
        Path(self._state_file).parent.mkdir(parents=True, exist_ok=True)
        return QSettings(str(self._state_file), QSettings.Format.IniFormat)
