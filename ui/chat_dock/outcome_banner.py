"""The fix outcome banner above the composer (SPEC §8): it asks what the moment needs.

Proposed → Apply or Dismiss; once applied → Verifying (worked, didn't, partly, still
checking); Partial and Pending → update or conclude; an assistant proposal → one click to
confirm or reject; after 3 messages since applying, a passive nudge. It collapses to a strip,
slides up when it appears, and resets when the session changes. It only asks: the window's
fix controller does the writes.
"""

from __future__ import annotations

from PySide6.QtCore import QEasingCurve, QPropertyAnimation, Qt, Signal
from PySide6.QtWidgets import (
    QFrame,
    QHBoxLayout,
    QLabel,
    QMenu,
    QPushButton,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from flowpilot_desktop.fix_outcome import BannerMode, FixStatus
from flowpilot_desktop.task_lane_service import FixView, TaskLaneState
from ui.theme import set_style_property
from ui.widgets.editing import InlineEditor
from ui.widgets.labels import error_label
from ui.widgets.wrapping import breakable

SLIDE_MS = 320
NO_HEIGHT_LIMIT = 16777215
PROPOSAL_WORDS = {"success": "worked", "failure": "didn't work", "partial": "partly worked"}
NOTES_PROMPTS = {
    FixStatus.APPLIED_PARTIAL: "What was applied, and what wasn't? — Enter to save",
    FixStatus.APPLIED_PENDING: "What are you still waiting for? — Enter to save",
    FixStatus.APPLIED_FAILED: "What happened? (optional) — Enter to save",
}


class OutcomeBanner(QFrame):
    sig_apply = Signal(object)
    """Open the script path of this FixView (Apply records nothing)."""
    sig_dismiss = Signal(object)
    sig_outcome = Signal(object, str, str)
    """Record an outcome: (FixView, outcome, notes)."""
    sig_confirm_proposal = Signal(object)
    sig_reject_proposal = Signal(object)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("outcomeBanner")
        self.setAccessibleName("Fix outcome")
        self.mode = BannerMode.HIDDEN
        self.fix: FixView | None = None
        self.collapsed = False
        self._session_id: str | None = None
        self._notes_outcome: str | None = None
        self.buttons: dict[str, QPushButton] = {}

        self.message = QLabel(self)
        self.message.setObjectName("bannerMessage")
        self.message.setWordWrap(True)
        self.message.setTextFormat(Qt.TextFormat.PlainText)
        self.detail = QLabel(self)
        self.detail.setObjectName("bannerDetail")
        self.detail.setTextFormat(Qt.TextFormat.PlainText)  # the fix's text, notes, a reason
        self.detail.setProperty("role", "header-meta")
        self.detail.setWordWrap(True)
        self.collapse_button = QToolButton(self)
        self.collapse_button.setObjectName("bannerCollapse")
        self.collapse_button.setAccessibleName("Collapse or expand the fix banner")
        self.collapse_button.clicked.connect(lambda: self.set_collapsed(not self.collapsed))
        self._button_row = QHBoxLayout()
        self._button_row.setSpacing(6)
        self.notes_editor = InlineEditor("bannerNotes", "Outcome notes, Enter to save", self)
        self.notes_editor.hide()
        self.notes_editor.sig_submitted.connect(self._notes_submitted)
        self.notes_editor.sig_cancelled.connect(self._close_notes)
        self.error = error_label(self, "bannerError")
        top = QHBoxLayout()
        top.addWidget(self.message, 1)
        top.addWidget(self.collapse_button, 0, Qt.AlignmentFlag.AlignTop)
        self._body = QWidget(self)
        body = QVBoxLayout(self._body)
        body.setContentsMargins(0, 0, 0, 0)
        body.setSpacing(6)
        body.addWidget(self.detail)
        body.addLayout(self._button_row)
        body.addWidget(self.notes_editor)
        body.addWidget(self.error)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(12, 8, 12, 8)
        layout.setSpacing(4)
        layout.addLayout(top)
        layout.addWidget(self._body)
        self._slide = QPropertyAnimation(self, b"maximumHeight", self)
        self._slide.setDuration(SLIDE_MS)
        self._slide.setEasingCurve(QEasingCurve.Type.OutCubic)
        self._slide.finished.connect(lambda: self.setMaximumHeight(NO_HEIGHT_LIMIT))
        self.hide()

    # ---- Public API

    def show_state(self, state: TaskLaneState | None) -> None:
        """Pick the mode from the session's lane state; a new session resets the banner."""
        session_id = state.session_id if state else None
        if session_id != self._session_id:
            self._session_id = session_id
            self.collapsed = False
        fix = state.active_fix if state else None
        mode = state.banner_mode if state else BannerMode.HIDDEN
        same = fix == self.fix and mode == self.mode
        self.fix, self.mode = fix, mode
        if not same:
            self._close_notes()
            self.error.hide()
            self._build()
        self._show_or_hide()

    def set_collapsed(self, collapsed: bool) -> None:
        self.collapsed = collapsed
        self._body.setVisible(not collapsed)
        self.collapse_button.setArrowType(
            Qt.ArrowType.UpArrow if collapsed else Qt.ArrowType.DownArrow
        )
        self.collapse_button.setToolTip("Expand" if collapsed else "Collapse")
        self._build_message()

    def show_error(self, message: str) -> None:
        self.error.setText(message)
        self.error.show()

    def ask_notes(self, outcome: str) -> None:
        """Open the notes line for an outcome that needs (or welcomes) words."""
        if self.fix is None:
            return
        self.set_collapsed(False)
        self._notes_outcome = outcome
        self.notes_editor.setPlaceholderText(NOTES_PROMPTS.get(outcome, ""))
        current = {
            FixStatus.APPLIED_PARTIAL: self.fix.partial_notes,
            FixStatus.APPLIED_PENDING: self.fix.pending_reason,
        }.get(outcome)
        self.notes_editor.setText(current or "")
        self.notes_editor.show()
        self.notes_editor.setFocus(Qt.FocusReason.OtherFocusReason)

    # ---- Private

    def _build(self) -> None:
        while self._button_row.count():
            item = self._button_row.takeAt(0)
            if item.widget() is not None:
                item.widget().hide()
                item.widget().deleteLater()
        self.buttons = {}
        fix, mode = self.fix, self.mode
        set_style_property(self, "mode", mode.value)
        if fix is None or mode is BannerMode.HIDDEN:
            return
        if mode is BannerMode.PROPOSED:
            self._button("apply", "Apply", lambda: self.sig_apply.emit(fix), primary=True)
            self._button("dismiss", "Dismiss", lambda: self.sig_dismiss.emit(fix))
            already = self._button("already", "Already applied…", None)
            menu = QMenu(already)
            menu.setObjectName("bannerAlreadyMenu")
            for text, outcome in (
                ("It worked", FixStatus.APPLIED_SUCCESS),
                ("It didn't work", FixStatus.APPLIED_FAILED),
                ("Partly…", FixStatus.APPLIED_PARTIAL),
                ("Still checking…", FixStatus.APPLIED_PENDING),
            ):
                menu.addAction(text, lambda o=outcome: self._choose(o))
            already.setMenu(menu)
        elif mode is BannerMode.AI_CONFIRMING:
            self._button(
                "confirm", "Confirm", lambda: self.sig_confirm_proposal.emit(fix), primary=True
            )
            self._button("reject", "Not right", lambda: self.sig_reject_proposal.emit(fix))
        else:
            self._button(
                "worked", "It worked", lambda: self._choose(FixStatus.APPLIED_SUCCESS), primary=True
            )
            self._button("failed", "Didn't work", lambda: self._choose(FixStatus.APPLIED_FAILED))
            if mode is BannerMode.PARTIAL:
                self._button(
                    "partial", "Update notes…", lambda: self.ask_notes(FixStatus.APPLIED_PARTIAL)
                )
            elif mode is BannerMode.PENDING:
                self._button(
                    "pending", "Update reason…", lambda: self.ask_notes(FixStatus.APPLIED_PENDING)
                )
            else:
                self._button(
                    "partial", "Partly…", lambda: self.ask_notes(FixStatus.APPLIED_PARTIAL)
                )
                self._button(
                    "pending", "Still checking…", lambda: self.ask_notes(FixStatus.APPLIED_PENDING)
                )
            if mode in (BannerMode.PARTIAL, BannerMode.PENDING):
                self._button("dismiss", "Dismiss", lambda: self.sig_dismiss.emit(fix))
        self._button_row.addStretch(1)
        self._build_message()

    def _build_message(self) -> None:
        fix, mode = self.fix, self.mode
        if fix is None or mode is BannerMode.HIDDEN:
            return
        title = f"“{fix.title}”"
        proposal = fix.outcome_proposal or {}
        texts = {
            BannerMode.PROPOSED: (f"Suggested fix: {title} · {fix.confidence}%", fix.description),
            BannerMode.VERIFYING: (f"Applied {title}. Did it work?", ""),
            BannerMode.NUDGE: (
                f"Still working on {title}? Record how it went when you know.",
                "You've sent a few messages since applying it.",
            ),
            BannerMode.PARTIAL: (f"{title} is partly applied.", fix.partial_notes or ""),
            BannerMode.PENDING: (f"Awaiting verification of {title}.", fix.pending_reason or ""),
            BannerMode.AI_CONFIRMING: (
                f"The assistant thinks {title} "
                f"{PROPOSAL_WORDS.get(str(proposal.get('outcome')), 'has an outcome')}. "
                "Confirm?",
                str(proposal.get("reason") or ""),
            ),
        }
        message, detail = texts[mode]
        self.message.setText(("Fix outcome — " + message) if self.collapsed else message)
        self.detail.setText(breakable(detail))
        self.detail.setVisible(bool(detail))
        self.setAccessibleDescription(message)

    def _button(self, key: str, text: str, slot: object, *, primary: bool = False) -> QPushButton:
        button = QPushButton(text, self._body)
        button.setObjectName(f"banner_{key}")
        button.setAccessibleName(f"Fix outcome: {text.rstrip('…')}")
        if primary:
            button.setProperty("role", "primary")
        if slot is not None:
            button.clicked.connect(slot)
        self._button_row.addWidget(button)
        self.buttons[key] = button
        return button

    def _choose(self, outcome: str) -> None:
        if self.fix is None:
            return
        if outcome in (FixStatus.APPLIED_PARTIAL, FixStatus.APPLIED_PENDING):
            self.ask_notes(outcome)
            return
        self.sig_outcome.emit(self.fix, outcome, "")

    def _notes_submitted(self, text: str) -> None:
        if self.fix is None or self._notes_outcome is None:
            return
        if not text.strip() and self._notes_outcome != FixStatus.APPLIED_FAILED:
            self.show_error("Write a few words first: this outcome needs them.")
            return
        self.error.hide()
        self.sig_outcome.emit(self.fix, self._notes_outcome, text.strip())

    def _close_notes(self) -> None:
        self._notes_outcome = None
        self.notes_editor.clear()
        self.notes_editor.hide()

    def _show_or_hide(self) -> None:
        visible = self.mode is not BannerMode.HIDDEN and self.fix is not None
        if visible and not self.isVisible():
            self.set_collapsed(self.collapsed)
            self.setMaximumHeight(0)
            self.show()
            self._slide.stop()
            self._slide.setStartValue(0)
            self._slide.setEndValue(max(self.sizeHint().height(), 1))
            self._slide.start()
        elif not visible:
            self._slide.stop()
            self.hide()
            self.setMaximumHeight(NO_HEIGHT_LIMIT)
        else:
            self.set_collapsed(self.collapsed)
