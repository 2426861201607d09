"""The Task lane dock: what we know, questions, diagnostic checks, the suggested fix, and the
Resolve / Escalate slot (SPEC §6).

It renders the selected session's TaskLaneState from the session model (which reloads it when
the session changes); it never loads or polls. Corrections to facts, answers and promotions go
through the TaskLaneService from here; whatever concerns the fix (open its script, dismiss,
history) is asked for with a signal, because the outcome banner offers the same and one
controller does it. A new state rebuilds the rows but keeps what the technician was typing and
where the focus was. Resolve and Escalate are the registry's actions.
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QSettings, Qt, Signal
from PySide6.QtGui import QAction
from PySide6.QtWidgets import (
    QApplication,
    QDockWidget,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QScrollArea,
    QVBoxLayout,
    QWidget,
)

from flowpilot_desktop.changes import SessionChange
from flowpilot_desktop.sessions import SessionSummary
from flowpilot_desktop.task_lane_service import PastFix, TaskLaneService, TaskLaneState
from ui.ops import TaskRunner, describe_error
from ui.session_state import SessionState
from ui.task_lane.facts import FactsSection
from ui.task_lane.fix_card import FixCard
from ui.task_lane.items import CheckRow, LaneItemRow, QuestionRow
from ui.task_lane.seen_before import SeenBeforeSection
from ui.theme import set_style_property
from ui.widgets.editing import InlineEditor, retire
from ui.widgets.labels import meta_label

AUTO_COLLAPSE_FACTS = 5  # What we know starts collapsed from this many facts (SPEC §6)
COLLAPSE_GROUP = "taskLaneCollapsed"
SECTIONS = (
    ("questions", "QUESTIONS", "No open questions for the end user."),
    ("checks", "DIAGNOSTIC CHECKS", "No diagnostic checks to run."),
    ("suggestedFix", "SUGGESTED FIX", "No fix suggested yet."),
)


class TaskLaneDock(QDockWidget):
    sig_open_fix = Signal(object)
    """Open the script path of this FixView."""
    sig_dismiss_fix = Signal(object)
    sig_show_history = Signal(object)
    """Show the superseded fixes of this TaskLaneState."""
    sig_fact_deleted = Signal(str, str, str)
    """A fact was deleted (session id, fact id, its text): it can be undone."""
    sig_undo_requested = Signal()
    sig_open_session = Signal(str)
    """Open this (past) session: a Seen before row."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__("Task lane", parent)
        self.setObjectName("taskLaneDock")
        self.setAccessibleName("Task lane")
        self.setMinimumWidth(260)
        self._service: TaskLaneService | None = None
        self._runner: TaskRunner | None = None
        self._settings: Callable[[], QSettings] | None = None
        self._session: SessionSummary | None = None
        self._first_render = True
        self._promoting: set[str] = set()
        self._item_errors: dict[str, str] = {}
        self._focus_key: str | None = None
        self._shown: TaskLaneState | None = None
        self.item_rows: dict[str, LaneItemRow] = {}
        self.fix_card: FixCard | None = None
        self._seen_key: tuple[str, int] | None = None  # what Seen before was last asked for

        body = QWidget(self)
        body.setObjectName("taskLaneBody")
        self.thinking = QLabel("● thinking…", body)
        self.thinking.setObjectName("taskLaneThinking")
        self.thinking.setProperty("role", "header-meta")
        self.thinking.hide()
        self.notice = meta_label("", body, "laneNotice")
        self.notice.hide()
        self.undo_button = QPushButton("Undo", body)
        self.undo_button.setObjectName("laneUndo")
        self.undo_button.setAccessibleName("Undo the delete")
        self.undo_button.hide()
        self.undo_button.clicked.connect(self.sig_undo_requested)

        sections = QWidget(body)
        sections.setObjectName("taskLaneSections")
        self._sections_layout = QVBoxLayout(sections)
        self._sections_layout.setContentsMargins(12, 0, 12, 12)
        self.facts = FactsSection(sections)
        self.facts.sig_add_note.connect(self._add_note)
        self.facts.sig_edit.connect(self._edit_fact)
        self.facts.sig_delete.connect(self._delete_fact)
        self.facts.sig_collapsed_by_user.connect(self._remember_collapsed)
        self._sections_layout.addWidget(self.facts)
        self.section_hints: dict[str, QLabel] = {}
        self.section_rows: dict[str, QVBoxLayout] = {}
        for key, title, hint in SECTIONS:
            title_label = QLabel(title, sections)
            title_label.setObjectName(f"{key}Title")
            title_label.setProperty("role", "section-title")
            hint_label = meta_label(hint, sections, f"{key}Empty")
            rows = QVBoxLayout()
            rows.setSpacing(6)
            self._sections_layout.addWidget(title_label)
            self._sections_layout.addWidget(hint_label)
            self._sections_layout.addLayout(rows)
            self.section_hints[key] = hint_label
            self.section_rows[key] = rows
        self.seen_before = SeenBeforeSection(sections)
        self.seen_before.sig_open_session.connect(self.sig_open_session)
        self._sections_layout.addWidget(self.seen_before)
        self.quiet_hint = QLabel(
            "Nothing open right now. The assistant may follow up with questions or checks "
            "as you tell it more.",
            sections,
        )
        self.quiet_hint.setObjectName("taskLaneQuiet")
        self.quiet_hint.setProperty("role", "empty-state")
        self.quiet_hint.setWordWrap(True)
        self.quiet_hint.hide()
        self._sections_layout.addWidget(self.quiet_hint)
        self._sections_layout.addStretch(1)
        scroll = QScrollArea(body)
        scroll.setObjectName("taskLaneScroll")
        scroll.setFocusPolicy(Qt.FocusPolicy.NoFocus)  # its rows are the Tab stops
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QScrollArea.Shape.NoFrame)
        scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        scroll.setWidget(sections)

        self.resolve_button = QPushButton("Resolve", body)
        self.resolve_button.setObjectName("laneResolve")
        self.resolve_button.setProperty("role", "primary")
        self.resolve_button.setAccessibleName("Resolve the ticket")
        self.resolve_button.setEnabled(False)
        self.escalate_button = QPushButton("Escalate", body)
        self.escalate_button.setObjectName("laneEscalate")
        self.escalate_button.setAccessibleName("Escalate the ticket")
        self.escalate_button.setEnabled(False)
        bottom = QHBoxLayout()
        bottom.setContentsMargins(12, 6, 12, 10)
        bottom.addWidget(self.resolve_button, 1)
        bottom.addWidget(self.escalate_button, 1)

        # no title of its own: the conversation's header names the session, once
        header_row = QHBoxLayout()
        header_row.setContentsMargins(12, 4, 12, 0)
        header_row.addStretch(1)
        header_row.addWidget(self.thinking, 0, Qt.AlignmentFlag.AlignTop)
        notice_row = QHBoxLayout()
        notice_row.setContentsMargins(12, 0, 12, 0)
        notice_row.addWidget(self.notice, 1)
        notice_row.addWidget(self.undo_button)
        layout = QVBoxLayout(body)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(0)
        layout.addLayout(header_row)
        layout.addLayout(notice_row)
        layout.addWidget(scroll, 1)
        layout.addLayout(bottom)
        self.setWidget(body)
        self._sections = sections
        self.show_session(None)

    # ---- Public API

    def attach(
        self,
        service: TaskLaneService,
        runner: TaskRunner,
        state: SessionState,
        settings: Callable[[], QSettings],
    ) -> None:
        """The service, the one way to run async work, the session model it renders, and where
        the technician's collapse choices are remembered."""
        self._service = service
        self._runner = runner
        self._settings = settings
        state.sig_current_session_changed.connect(self.show_session)
        state.sig_summary_changed.connect(self.show_session)
        state.sig_lane_changed.connect(self._render)
        state.sig_streaming_changed.connect(self.set_thinking)

    def bind_conclude_actions(self, resolve: QAction, escalate: QAction) -> None:
        """Resolve and Escalate are the registry's actions: same rule, same handler."""
        for button, action in ((self.resolve_button, resolve), (self.escalate_button, escalate)):
            button.clicked.connect(action.trigger)
            button.setEnabled(action.isEnabled())
            action.changed.connect(lambda b=button, a=action: b.setEnabled(a.isEnabled()))

    def show_session(self, summary: SessionSummary | None) -> None:
        changed = summary is None or self._session is None or summary.id != self._session.id
        self._session = summary
        self._sections.setVisible(summary is not None)
        if changed:
            self._first_render = True
            self._promoting.clear()
            self._item_errors.clear()
            self._show_notice("")
            self.facts.close_note_editor()
            self._render(None)

    def set_thinking(self, thinking: bool) -> None:
        """A turn is running: a pip in the header, skeleton rows in What we know (SPEC §6)."""
        self.thinking.setVisible(thinking)
        self.facts.set_synthesizing(thinking)

    def open_note_editor(self) -> None:
        """Add a note to What we know (the lane.add_note action)."""
        if self._session is None:
            return
        self.show()
        self.raise_()
        self.facts.open_note_editor()

    # ---- Private: Seen before

    def _load_seen_before(self, state: TaskLaneState | None) -> None:
        """Once the lane is on screen (never ahead of it: one database thread), and again
        after each write to the session (a fetched ticket or a new fact changes what it is
        recognised by)."""
        if state is None:
            if self._session is None or self.seen_before.session_id != self._session.id:
                self.seen_before.show_matches(None, [])
                self._seen_key = None
            return
        key = (state.session_id, state.state_version)
        if key == self._seen_key or self._service is None or self._runner is None:
            return
        self._seen_key = key
        session_id = state.session_id

        def show(matches: list[PastFix]) -> None:
            if self._session is not None and self._session.id == session_id:
                self.seen_before.show_matches(session_id, matches)

        self._runner.run(
            self._service.seen_before(session_id),
            on_success=show,
            title="Could not look for similar sessions",
            owner=self,
            latest="seen-before",
            quiet=True,
        )

    # ---- Private: writes

    def _write(
        self,
        coro_factory: Callable[[TaskLaneService, str], object],
        *,
        on_success: Callable[[SessionChange], None] | None = None,
        on_failure: Callable[[str], None] | None = None,
    ) -> None:
        if self._session is None or self._service is None or self._runner is None:
            return

        def succeeded(change: SessionChange) -> None:
            if on_success is not None:
                on_success(change)

        def failed(error: Exception) -> None:
            message = describe_error(error)
            if on_failure is not None:
                on_failure(message)
            else:
                self._show_notice(message, error=True)

        self._runner.run(
            coro_factory(self._service, self._session.id),  # type: ignore[arg-type]
            on_success=succeeded,
            on_failure=failed,
            owner=self,
        )

    def _add_note(self, text: str) -> None:
        self._show_notice("")
        self._focus_key = "facts:add"
        self._write(
            lambda service, sid: service.add_note(sid, text),
            on_success=lambda _change: self.facts.close_note_editor(),
        )

    def _edit_fact(self, fact_id: str, text: str) -> None:
        self._show_notice("")
        self._focus_key = f"fact:{fact_id}:edit"
        self._write(lambda service, sid: service.edit_fact(sid, fact_id, text))

    def _delete_fact(self, fact_id: str) -> None:
        row = self.facts.row_for(fact_id)
        text = row.fact.text if row is not None else ""
        session_id = self._session.id if self._session else ""
        self._focus_key = "facts:add"

        def deleted(_change: SessionChange) -> None:
            self._show_notice(f"Deleted “{_shorten(text)}”.", undo=True)
            self.sig_fact_deleted.emit(session_id, fact_id, text)

        self._write(lambda service, sid: service.delete_fact(sid, fact_id), on_success=deleted)

    def restore_fact(self, session_id: str, fact_id: str) -> None:
        """Undo a delete (from the window's undo stack)."""
        if self._service is None or self._runner is None:
            return
        self._show_notice("")
        self._runner.run(
            self._service.restore_fact(session_id, fact_id),
            title="Could not restore the fact",
            owner=self,
        )

    def _answer(self, item_id: str, text: str) -> None:
        kind = self.item_rows[item_id].kind if item_id in self.item_rows else "item"
        self._item_errors.pop(item_id, None)
        self._focus_key = f"{kind}:{item_id}:promote"
        self._write(
            lambda service, sid: service.record_answer(sid, item_id, text),
            on_failure=lambda message: self._item_failed(item_id, message, "answer"),
        )

    def _promote(self, item_id: str, text: str) -> None:
        kind = self.item_rows[item_id].kind if item_id in self.item_rows else "item"
        self._item_errors.pop(item_id, None)
        self._promoting.add(item_id)
        self._focus_key = f"{kind}:{item_id}:answer"
        self._render(self._shown)  # show "writing the fact…" at once

        def done(_change: SessionChange) -> None:
            self._promoting.discard(item_id)

        def failed(message: str) -> None:
            self._promoting.discard(item_id)
            self._item_failed(item_id, message, "promote", keep=text)

        self._write(
            lambda service, sid: service.promote(sid, item_id, text or None),
            on_success=done,
            on_failure=failed,
        )

    def _item_failed(self, item_id: str, message: str, field: str, keep: str = "") -> None:
        """Say why on the row itself and put the focus where the technician fixes it."""
        row = self.item_rows.get(item_id)
        kind = row.kind if row is not None else "item"
        self._item_errors[item_id] = message
        self._focus_key = f"{kind}:{item_id}:{field}"
        drafts = {self._focus_key: keep} if keep else {}
        self._render(self._shown, extra_drafts=drafts)

    # ---- Private: view

    def _render(
        self, state: TaskLaneState | None, extra_drafts: dict[str, str] | None = None
    ) -> None:
        drafts = {**self._drafts(), **(extra_drafts or {})}
        focus_key = self._focus_key or _focused_key(self)
        self._focus_key = None
        self._shown = state
        for rows in self.section_rows.values():
            _clear(rows)
        self.item_rows = {}
        self.fix_card = None
        facts = state.facts if state else ()
        self._load_seen_before(state)
        questions = state.questions if state else ()
        checks = state.checks if state else ()
        fix = state.active_fix if state else None
        self.facts.set_facts(facts)
        if state is not None and self._first_render:
            self._first_render = False
            remembered = self._remembered_collapsed(state.session_id)
            self.facts.set_collapsed(
                remembered if remembered is not None else len(facts) >= AUTO_COLLAPSE_FACTS
            )
        promoted = {fact.source_ref for fact in facts if fact.source_ref}
        for section, items, row_type in (
            ("questions", questions, QuestionRow),
            ("checks", checks, CheckRow),
        ):
            for item in items:
                row = row_type(
                    item,
                    self._sections,
                    promoted=item["id"] in promoted,
                    promoting=item["id"] in self._promoting,
                    error=self._item_errors.get(item["id"], ""),
                )
                row.setObjectName(f"{row.kind}Row")
                row.sig_answer.connect(self._answer)
                row.sig_promote.connect(self._promote)
                self.section_rows[section].addWidget(row)
                row.show()  # now, not queued: focus and drafts are restored right below
                self.item_rows[item["id"]] = row
        if fix is not None and state is not None:
            self.fix_card = FixCard(fix, len(state.fix_history), self._sections)
            self.fix_card.sig_open.connect(lambda f=fix: self.sig_open_fix.emit(f))
            self.fix_card.sig_dismiss.connect(lambda f=fix: self.sig_dismiss_fix.emit(f))
            self.fix_card.sig_history.connect(lambda s=state: self.sig_show_history.emit(s))
            self.section_rows["suggestedFix"].addWidget(self.fix_card)
            self.fix_card.show()
        for key, count in (
            ("questions", len(questions)),
            ("checks", len(checks)),
            ("suggestedFix", int(fix is not None)),
        ):
            self.section_hints[key].setVisible(count == 0)
        open_items = [q for q in questions if not q.get("answer")] + [
            c for c in checks if not c.get("done")
        ]
        self.quiet_hint.setVisible(bool(facts) and not open_items and fix is None)
        # enabled by the registry's ticket.resolve / ticket.escalate actions
        can_conclude = state is not None and state.exchanges > 0
        for button in (self.resolve_button, self.escalate_button):
            button.setToolTip(
                "" if can_conclude else "Available once the assistant has answered at least once."
            )
        self._restore(drafts, focus_key)

    def _drafts(self) -> dict[str, str]:
        """Text typed into the rows' editors but not submitted yet."""
        return {
            key: editor.text()
            for editor in self._sections.findChildren(InlineEditor)
            if (key := editor.property("laneKey"))
            and editor.text()
            and editor.isVisibleTo(self._sections)
        }

    def _restore(self, drafts: dict[str, str], focus_key: str | None) -> None:
        for editor in self._sections.findChildren(InlineEditor):
            key = editor.property("laneKey")
            if key in drafts and not editor.text():
                editor.setText(drafts[key])
        if focus_key:
            target = _widget_with_key(self._sections, focus_key)
            if target is not None and target.isEnabled():
                target.setFocus(Qt.FocusReason.OtherFocusReason)

    def _show_notice(self, text: str, *, error: bool = False, undo: bool = False) -> None:
        self.notice.setText(text)
        set_style_property(self.notice, "role", "error" if error else "header-meta")
        self.notice.setVisible(bool(text))
        self.undo_button.setVisible(undo)

    def _remembered_collapsed(self, session_id: str) -> bool | None:
        if self._settings is None:
            return None
        value = self._settings().value(f"{COLLAPSE_GROUP}/{session_id}")
        return None if value is None else str(value).lower() == "true"

    def _remember_collapsed(self, collapsed: bool) -> None:
        if self._settings is not None and self._session is not None:
            settings = self._settings()
            settings.setValue(f"{COLLAPSE_GROUP}/{self._session.id}", collapsed)
            settings.sync()


def _focused_key(root: QWidget) -> str | None:
    widget = QApplication.focusWidget()
    while widget is not None and widget is not root:
        key = widget.property("laneKey")
        if key:
            return str(key)
        widget = widget.parentWidget()
    return None


def _widget_with_key(root: QWidget, key: str) -> QWidget | None:
    return next(
        (
            w
            for w in root.findChildren(QWidget)
            if w.property("laneKey") == key and w.isVisibleTo(root)
        ),
        None,
    )


def _shorten(text: str, limit: int = 60) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _clear(layout: QVBoxLayout) -> None:
    while layout.count():
        item = layout.takeAt(0)
        if item.widget() is not None:
            retire(item.widget())
