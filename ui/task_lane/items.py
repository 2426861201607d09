"""Questions for the end user and diagnostic checks: answer or record the result, then
promote it to a fact, in the technician's words or written by the assistant (SPEC §6).

The items come from the model and the answers from the technician: all plain text.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QFontDatabase
from PySide6.QtWidgets import QFrame, QHBoxLayout, QPushButton, QVBoxLayout, QWidget

from ui.safe_text import plain_label
from ui.widgets.editing import CopyButton, InlineEditor
from ui.widgets.labels import meta_label
from ui.widgets.wrapping import breakable

PROMOTE_PLACEHOLDER = "Fact in your words (optional)"
PROMOTE_TIP = (
    "Promote adds this to What we know. Leave the line empty and the assistant writes the "
    "fact from the item and its answer."
)


class LaneItemRow(QFrame):
    """A question or a check: what to ask or run, its answer, and Promote."""

    sig_answer = Signal(str, str)
    """Record the answer or result (item id, text)."""
    sig_promote = Signal(str, str)
    """Promote to a fact (item id, the technician's text or "" for synthesis)."""

    kind = "item"

    def __init__(
        self,
        item: dict[str, Any],
        parent: QWidget,
        *,
        promoted: bool,
        promoting: bool,
        error: str,
    ) -> None:
        super().__init__(parent)
        self.item = item
        self.item_id: str = item["id"]
        self.answer_text: str = self._answer(item)
        self._layout = QVBoxLayout(self)
        self._layout.setContentsMargins(8, 6, 8, 6)
        self._layout.setSpacing(4)
        self._build_item()
        self.answer_label = meta_label(self._answer_caption(), self, f"{self.kind}Answer")
        self.answer_label.setVisible(bool(self.answer_text))
        self._layout.addWidget(self.answer_label)
        self.answer_editor = InlineEditor(
            f"{self.kind}AnswerEditor", self._answer_accessible_name(), self
        )
        self.answer_editor.setProperty("laneKey", f"{self.kind}:{self.item_id}:answer")
        self.answer_editor.setPlaceholderText(self._answer_placeholder())
        self.answer_editor.sig_submitted.connect(
            lambda text: self.sig_answer.emit(self.item_id, text)
        )
        self.answer_editor.sig_cancelled.connect(self.answer_editor.clear)
        self._layout.addWidget(self.answer_editor)
        self.promote_editor: InlineEditor | None = None
        self.promote_button: QPushButton | None = None
        self.status_label = meta_label("", self, f"{self.kind}Status")
        if promoted:
            self.status_label.setText("✓ In What we know")
        elif self.answer_text:
            self._build_promote(promoting)
        if promoting:
            self.status_label.setText("The assistant is writing the fact…")
        if error:
            self.status_label.setText(error)
            self.status_label.setProperty("role", "error")
        self.status_label.setVisible(bool(self.status_label.text()))
        self._layout.addWidget(self.status_label)

    # ---- For subclasses

    def _build_item(self) -> None:
        raise NotImplementedError

    @staticmethod
    def _answer(item: dict[str, Any]) -> str:
        return str(item.get("answer") or "")

    def _answer_caption(self) -> str:
        return f"Answer: {self.answer_text}"

    def _answer_placeholder(self) -> str:
        return "The user's answer — Enter to save"

    def _answer_accessible_name(self) -> str:
        return "Answer to the question"

    # ---- Private

    def _build_promote(self, promoting: bool) -> None:
        editor = InlineEditor(
            f"{self.kind}PromoteEditor", "Fact to promote, Enter to promote", self
        )
        editor.setProperty("laneKey", f"{self.kind}:{self.item_id}:promote")
        editor.setPlaceholderText(PROMOTE_PLACEHOLDER)
        editor.setToolTip(PROMOTE_TIP)
        editor.sig_submitted.connect(lambda text: self.sig_promote.emit(self.item_id, text))
        editor.sig_cancelled.connect(editor.clear)
        button = QPushButton("Promote", self)
        button.setObjectName(f"{self.kind}Promote")
        button.setAccessibleName("Promote to What we know")
        button.setToolTip(PROMOTE_TIP)
        button.setProperty("laneKey", f"{self.kind}:{self.item_id}:promoteButton")
        button.clicked.connect(lambda: self.sig_promote.emit(self.item_id, editor.text()))
        editor.setEnabled(not promoting)
        button.setEnabled(not promoting)
        row = QHBoxLayout()
        row.addWidget(editor, 1)
        row.addWidget(button)
        self._layout.addLayout(row)
        self.promote_editor, self.promote_button = editor, button


class QuestionRow(LaneItemRow):
    """A question to ask the end user; its options answer it in one press."""

    kind = "question"

    def _build_item(self) -> None:
        text = plain_label(breakable(self.item["text"]), self, "questionText")
        self._layout.addWidget(text)
        options = self.item.get("options") or []
        if options:
            row = QHBoxLayout()
            row.setSpacing(4)
            for option in options:
                button = QPushButton(option, self)
                button.setObjectName("questionOption")
                button.setAccessibleName(f"Answer “{self.item['text']}”: {option}")
                button.setProperty("laneKey", f"question:{self.item_id}:option:{option}")
                button.clicked.connect(
                    lambda _checked=False, o=option: self.sig_answer.emit(self.item_id, o)
                )
                row.addWidget(button)
            row.addStretch(1)
            self._layout.addLayout(row)


class CheckRow(LaneItemRow):
    """A diagnostic check: label, what it shows, the command with Copy, done once it has a
    result."""

    kind = "check"

    @staticmethod
    def _answer(item: dict[str, Any]) -> str:
        return str(item.get("result") or "")

    def _answer_caption(self) -> str:
        return f"Result: {self.answer_text}"

    def _answer_placeholder(self) -> str:
        return "What did it show? — Enter to save"

    def _answer_accessible_name(self) -> str:
        return f"Result of “{self.item['label']}”"

    def _build_item(self) -> None:
        done = bool(self.item.get("done"))
        title = plain_label(
            breakable(("✓ " if done else "") + self.item["label"]), self, "checkLabel"
        )
        self.setProperty("done", done)
        self._layout.addWidget(title)
        if self.item.get("description"):
            self._layout.addWidget(meta_label(self.item["description"], self, "checkDescription"))
        command = self.item.get("command") or ""
        if command:
            row = QHBoxLayout()
            label = plain_label(breakable(command), self, "checkCommand")
            label.setFont(QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont))
            label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
            self.copy_button = CopyButton(
                command, f"Copy the command of “{self.item['label']}”", self, "checkCopy"
            )
            self.copy_button.setProperty("laneKey", f"check:{self.item_id}:copy")
            row.addWidget(label, 1)
            row.addWidget(self.copy_button, 0, Qt.AlignmentFlag.AlignTop)
            self._layout.addLayout(row)
