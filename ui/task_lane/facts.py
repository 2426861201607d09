"""What we know: the confirmed facts, with their source, and the technician's corrections.

Add a note, edit or delete a fact in place. Facts promoted from a question or a check are
edited through that item, so their Edit button is disabled with a tooltip saying so (the
service refuses such an edit too). While a reply streams the section shows "synthesizing"
and skeleton rows. It collapses; the dock decides the default and remembers the choice.
"""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QFrame,
    QHBoxLayout,
    QPushButton,
    QSizePolicy,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from flowpilot_desktop.task_lane_service import FactView
from ui.safe_text import plain_label
from ui.widgets.editing import InlineEditor, retire
from ui.widgets.labels import meta_label
from ui.widgets.wrapping import breakable

SOURCE_LABELS = {
    "ai_promote": "assistant",
    "engineer_note": "your note",
    "question": "from a question",
    "diagnostic_check": "from a check",
}
NOT_EDITABLE_TIP = (
    "This fact comes from a {source}. Edit the answer there and promote it again; "
    "you can delete this fact."
)
SKELETON_ROWS = 2


class FactRow(QFrame):
    """One fact: its text and source; Edit turns the text into an editor in place."""

    sig_edit = Signal(str, str)
    """Save this fact's new text (fact id, text)."""
    sig_delete = Signal(str)

    def __init__(self, fact: FactView, parent: QWidget) -> None:
        super().__init__(parent)
        self.fact = fact
        self.setObjectName("factRow")
        self.text_label = plain_label(breakable(fact.text), self, "factText")
        self.text_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.editor = InlineEditor("factEditor", "Edit the fact, Enter to save", self)
        self.editor.hide()
        self.editor.sig_submitted.connect(lambda text: self.sig_edit.emit(fact.id, text))
        self.editor.sig_cancelled.connect(self.cancel_edit)
        source = meta_label(SOURCE_LABELS.get(fact.source_type, fact.source_type), self)
        source.setObjectName("factSource")
        self.edit_button = QPushButton("Edit", self)
        self.edit_button.setObjectName("factEdit")
        self.edit_button.setProperty("laneKey", f"fact:{fact.id}:edit")
        self.edit_button.setAccessibleName(f"Edit fact “{fact.text}”")
        self.edit_button.setEnabled(fact.editable)
        if not fact.editable:
            kind = "question" if fact.source_type == "question" else "diagnostic check"
            self.edit_button.setToolTip(NOT_EDITABLE_TIP.format(source=kind))
            self.setToolTip(NOT_EDITABLE_TIP.format(source=kind))
        self.edit_button.clicked.connect(self.start_edit)
        self.delete_button = QPushButton("Delete", self)
        self.delete_button.setObjectName("factDelete")
        self.delete_button.setProperty("laneKey", f"fact:{fact.id}:delete")
        self.delete_button.setAccessibleName(f"Delete fact “{fact.text}”")
        self.delete_button.clicked.connect(lambda: self.sig_delete.emit(fact.id))
        buttons = QHBoxLayout()
        buttons.setSpacing(4)
        buttons.addWidget(source, 1)
        buttons.addWidget(self.edit_button)
        buttons.addWidget(self.delete_button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(8, 4, 8, 4)
        layout.setSpacing(2)
        layout.addWidget(self.text_label)
        layout.addWidget(self.editor)
        layout.addLayout(buttons)

    def start_edit(self) -> None:
        if not self.fact.editable:
            return
        self.editor.setText(self.fact.text)
        self.text_label.hide()
        self.editor.show()
        self.editor.setFocus(Qt.FocusReason.OtherFocusReason)
        self.editor.selectAll()

    def cancel_edit(self) -> None:
        self.editor.hide()
        self.text_label.show()
        self.edit_button.setFocus(Qt.FocusReason.OtherFocusReason)


class FactsSection(QWidget):
    sig_add_note = Signal(str)
    sig_edit = Signal(str, str)
    sig_delete = Signal(str)
    sig_collapsed_by_user = Signal(bool)
    """The technician collapsed (True) or expanded the section."""

    def __init__(self, parent: QWidget) -> None:
        super().__init__(parent)
        self.setObjectName("whatWeKnow")
        self.rows: list[FactRow] = []
        self.toggle = QToolButton(self)
        self.toggle.setObjectName("whatWeKnowToggle")
        self.toggle.setCheckable(True)
        self.toggle.setChecked(True)
        self.toggle.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        self.toggle.setArrowType(Qt.ArrowType.DownArrow)
        self.toggle.setProperty("role", "section-toggle")
        self.toggle.setSizePolicy(QSizePolicy.Policy.Fixed, QSizePolicy.Policy.Fixed)
        self.toggle.clicked.connect(lambda checked: self._toggled(checked, by_user=True))
        self.synthesizing = meta_label("synthesizing…", self, "whatWeKnowSynthesizing")
        self.synthesizing.setWordWrap(False)
        self.synthesizing.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        self.synthesizing.hide()
        self.add_button = QPushButton("+ Note", self)
        self.add_button.setObjectName("addNoteButton")
        self.add_button.setAccessibleName("Add a note to What we know")
        self.add_button.setProperty("laneKey", "facts:add")
        self.add_button.setSizePolicy(QSizePolicy.Policy.Maximum, QSizePolicy.Policy.Fixed)
        self.add_button.clicked.connect(self.open_note_editor)
        header = QHBoxLayout()
        header.addWidget(self.toggle)
        header.addWidget(self.synthesizing, 1)
        header.addWidget(self.add_button)

        self.body = QWidget(self)
        self.body.setObjectName("whatWeKnowBody")
        self.note_editor = InlineEditor(
            "noteEditor", "New note for What we know, Enter to add", self.body
        )
        self.note_editor.setPlaceholderText("What you confirmed — Enter to add, Esc to cancel")
        self.note_editor.hide()
        self.note_editor.sig_submitted.connect(self.sig_add_note)
        self.note_editor.sig_cancelled.connect(self.close_note_editor)
        self.empty_hint = meta_label("Nothing confirmed yet.", self.body, "whatWeKnowEmpty")
        self.skeleton = QWidget(self.body)
        self.skeleton.setObjectName("factSkeleton")
        skeleton_layout = QVBoxLayout(self.skeleton)
        skeleton_layout.setContentsMargins(0, 0, 0, 0)
        for width in range(SKELETON_ROWS):
            bar = QFrame(self.skeleton)
            bar.setObjectName("skeletonRow")
            bar.setFixedHeight(14)
            bar.setMaximumWidth(260 - 70 * width)
            skeleton_layout.addWidget(bar)
        self.skeleton.hide()
        self._rows_layout = QVBoxLayout()
        self._rows_layout.setSpacing(6)
        body_layout = QVBoxLayout(self.body)
        body_layout.setContentsMargins(0, 0, 0, 0)
        body_layout.addWidget(self.note_editor)
        body_layout.addWidget(self.empty_hint)
        body_layout.addLayout(self._rows_layout)
        body_layout.addWidget(self.skeleton)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(header)
        layout.addWidget(self.body)
        self.set_facts(())

    # ---- Public API

    def set_facts(self, facts: tuple[FactView, ...]) -> None:
        for row in self.rows:
            self._rows_layout.removeWidget(row)
            retire(row)
        self.rows = []
        for fact in facts:
            row = FactRow(fact, self.body)
            row.sig_edit.connect(self.sig_edit)
            row.sig_delete.connect(self.sig_delete)
            self._rows_layout.addWidget(row)
            row.show()
            self.rows.append(row)
        self.empty_hint.setVisible(not facts)
        self.toggle.setText(f"WHAT WE KNOW · {len(facts)}")
        self.toggle.setAccessibleName(f"What we know, {len(facts)} facts; collapse or expand")

    def set_synthesizing(self, synthesizing: bool) -> None:
        self.synthesizing.setVisible(synthesizing)
        self.skeleton.setVisible(synthesizing)

    @property
    def collapsed(self) -> bool:
        return not self.toggle.isChecked()

    def set_collapsed(self, collapsed: bool) -> None:
        self.toggle.setChecked(not collapsed)
        self._toggled(not collapsed, by_user=False)

    def open_note_editor(self) -> None:
        if self.collapsed:
            self.set_collapsed(False)
            self.sig_collapsed_by_user.emit(False)
        self.note_editor.show()
        self.note_editor.setFocus(Qt.FocusReason.ShortcutFocusReason)

    def close_note_editor(self) -> None:
        """Close the note editor; the focus moves to "+ Note" only if it was in the editor
        (switching sessions must never take the focus away from where the technician is)."""
        had_focus = self.note_editor.hasFocus()
        self.note_editor.clear()
        self.note_editor.hide()
        if had_focus:
            self.add_button.setFocus(Qt.FocusReason.OtherFocusReason)

    def row_for(self, fact_id: str) -> FactRow | None:
        return next((row for row in self.rows if row.fact.id == fact_id), None)

    # ---- Private

    def _toggled(self, expanded: bool, *, by_user: bool) -> None:
        self.body.setVisible(expanded)
        self.toggle.setArrowType(Qt.ArrowType.DownArrow if expanded else Qt.ArrowType.RightArrow)
        if by_user:
            self.sig_collapsed_by_user.emit(not expanded)
