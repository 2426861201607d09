"""The Script Builder tab (SPEC §10): ask the assistant for the script, or write it yourself,
then Submit it to the session's fix.

Two pages that both stay alive: the builder's conversation (plain text: the model's words are
data) with its input, and the code editor (the right lexer, line numbers, find/replace). The
script of each answer lands in the editor; what is typed there is kept (``sig_script_edited``).
"""

from __future__ import annotations

from PySide6.QtCore import QEvent, QObject, Qt, QTimer, Signal
from PySide6.QtGui import QKeyEvent, QTextCursor
from PySide6.QtWidgets import (
    QComboBox,
    QHBoxLayout,
    QLabel,
    QPlainTextEdit,
    QPushButton,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from flowpilot_desktop.scripts.builder import BuilderView
from flowpilot_desktop.scripts.templates import LANGUAGES
from ui.code_editor.editor import CodeEditor
from ui.safe_text import plain_text
from ui.scripts.script_check_panel import ScriptCheckPanel
from ui.theme import set_style_property

SAVE_DELAY_MS = 800  # what is typed in the editor is saved this long after the last key
AI_MODE, EDITOR_MODE = 0, 1


class ScriptBuilderPanel(QWidget):
    sig_send = Signal(str)
    """Ask the builder (the technician's message)."""
    sig_stop = Signal()
    sig_submit = Signal(str, str)
    """(script, language): attach it to the fix."""
    sig_save_template = Signal(str, str)
    """(script, language): offer it to the team library."""
    sig_script_edited = Signal(str, str)
    """(script, language) typed by hand, settled: keep it."""
    sig_close = Signal()
    """A standalone script is done with."""

    def __init__(self, parent: QWidget | None = None, *, standalone: bool = False) -> None:
        super().__init__(parent)
        self.setObjectName("scriptBuilderStandalone" if standalone else "scriptBuilderTab")
        self.setAccessibleName("Script Builder")
        self.builder: BuilderView | None = None
        self.parameters: dict[str, str] = {}
        self._streaming = False
        self._answer = ""

        self.target_label = plain_text(QLabel(self))
        self.target_label.setObjectName("scriptBuilderTarget")
        self.target_label.setWordWrap(True)
        self.mode_button = QPushButton("✎ Write it m&yself", self)
        self.mode_button.setObjectName("scriptBuilderWriteMyself")
        self.mode_button.setAccessibleName("Switch between asking the assistant and the editor")
        self.mode_button.clicked.connect(self.toggle_mode)
        top = QHBoxLayout()
        top.addWidget(self.target_label, 1)
        top.addWidget(self.mode_button)

        # AI mode: the conversation and the input
        self.conversation = QPlainTextEdit(self)
        self.conversation.setObjectName("scriptBuilderConversation")
        self.conversation.setAccessibleName("The Script Builder's conversation")
        self.conversation.setReadOnly(True)
        self.conversation.setPlaceholderText(
            "Say what the script should do: the assistant answers with the whole script and "
            "its parameters."
            if standalone
            else "Say what the script should do: the assistant knows the ticket, the facts and "
            "the fix, and answers with the whole script and its parameters."
        )
        self.input = QPlainTextEdit(self)
        self.input.setObjectName("scriptBuilderInput")
        self.input.setAccessibleName("Ask the Script Builder")
        self.input.setPlaceholderText("What should the script do? (Enter sends)")
        self.input.setTabChangesFocus(True)
        self.input.setMaximumHeight(self.input.fontMetrics().lineSpacing() * 4 + 12)
        self.input.installEventFilter(self)
        self.send_button = QPushButton("Send", self)
        self.send_button.setObjectName("scriptBuilderSend")
        self.send_button.setAccessibleName("Send to the Script Builder")
        self.send_button.clicked.connect(self._send_or_stop)
        ask_row = QHBoxLayout()
        ask_row.addWidget(self.input, 1)
        ask_row.addWidget(self.send_button, 0, Qt.AlignmentFlag.AlignBottom)
        ai_page = QWidget(self)
        ai_layout = QVBoxLayout(ai_page)
        ai_layout.setContentsMargins(0, 0, 0, 0)
        ai_layout.addWidget(self.conversation, 1)
        ai_layout.addLayout(ask_row)

        # Write it myself: the editor
        self.editor = CodeEditor(self)
        self.editor.setObjectName("scriptBuilderEditor")
        self.editor.setAccessibleName("The script")
        self.language_combo = QComboBox(self)
        self.language_combo.setObjectName("scriptBuilderLanguage")
        self.language_combo.setAccessibleName("Script language")
        self.language_combo.addItems(list(LANGUAGES))
        self.language_combo.currentTextChanged.connect(self._language_changed)
        editor_page = QWidget(self)
        editor_layout = QVBoxLayout(editor_page)
        editor_layout.setContentsMargins(0, 0, 0, 0)
        editor_layout.addWidget(self.language_combo, 0, Qt.AlignmentFlag.AlignLeft)
        editor_layout.addWidget(self.editor, 1)
        # syntax, PSScriptAnalyzer where installed, dangerous patterns: warns, never blocks
        self.check_panel = ScriptCheckPanel(self.editor, editor_page)
        editor_layout.addWidget(self.check_panel)

        self.pages = QStackedWidget(self)
        self.pages.addWidget(ai_page)
        self.pages.addWidget(editor_page)

        self.status_label = plain_text(QLabel(self))
        self.status_label.setObjectName("scriptBuilderStatus")
        self.status_label.setWordWrap(True)
        self.status_label.setProperty("role", "header-meta")
        self.submit_button = QPushButton("S&ubmit to the fix", self)
        self.submit_button.setObjectName("scriptBuilderSubmit")
        self.submit_button.setAccessibleName("Submit the script to the session's fix")
        self.submit_button.setToolTip(
            "Attach the script to the fix (nothing runs); Apply offers it"
        )
        self.submit_button.clicked.connect(self._submit)
        self.submit_button.setVisible(not standalone)
        self.template_button = QPushButton("Save as te&mplate…", self)
        self.template_button.setObjectName("scriptBuilderSaveTemplate")
        self.template_button.setAccessibleName("Save the script as a team template")
        self.template_button.clicked.connect(self._save_template)
        self.close_button = QPushButton("&Close script", self)
        self.close_button.setObjectName("scriptBuilderClose")
        self.close_button.setAccessibleName("Close this standalone script")
        self.close_button.clicked.connect(self.sig_close)
        self.close_button.setVisible(standalone)
        bottom = QHBoxLayout()
        bottom.addWidget(self.status_label, 1)
        bottom.addWidget(self.close_button)
        bottom.addWidget(self.template_button)
        bottom.addWidget(self.submit_button)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(8, 6, 8, 6)
        layout.addLayout(top)
        layout.addWidget(self.pages, 1)
        layout.addLayout(bottom)

        self._save_timer = QTimer(self)
        self._save_timer.setSingleShot(True)
        self._save_timer.setInterval(SAVE_DELAY_MS)
        self._save_timer.timeout.connect(
            lambda: self.sig_script_edited.emit(self.editor.text(), self.language)
        )
        self._loading = False
        self.editor.sig_changed.connect(self._edited)

    # ---- Public API

    @property
    def language(self) -> str:
        return self.language_combo.currentText()

    @property
    def mode(self) -> int:
        return self.pages.currentIndex()

    @property
    def streaming(self) -> bool:
        return self._streaming

    def show_builder(self, builder: BuilderView, target: str) -> None:
        """A builder as stored: its conversation, its script; ``target`` says where Submit
        puts the script."""
        self.builder = builder
        self.target_label.setText(target)
        self.conversation.setPlainText(_transcript(builder))
        self.conversation.moveCursor(QTextCursor.MoveOperation.End)
        self._set_script(builder.script, builder.language)
        self.show_status("")

    def set_target(self, target: str) -> None:
        self.target_label.setText(target)

    def set_script(self, script: str, language: str | None) -> None:
        """A script from elsewhere (a chat code block, the fix's draft): into the editor."""
        self._set_script(script, language)
        self._save_timer.stop()
        self.sig_script_edited.emit(self.editor.text(), self.language)

    def set_mode(self, mode: int) -> None:
        self.pages.setCurrentIndex(mode)
        self.mode_button.setText(
            "✎ Write it m&yself" if mode == AI_MODE else "✦ As&k the assistant"
        )
        self.focus_current()

    def toggle_mode(self) -> None:
        self.set_mode(EDITOR_MODE if self.mode == AI_MODE else AI_MODE)

    def focus_current(self) -> None:
        target = self.input if self.mode == AI_MODE else self.editor
        target.setFocus(Qt.FocusReason.OtherFocusReason)

    def begin_answer(self, question: str) -> None:
        self._streaming = True
        self._answer = ""
        self.send_button.setText("Stop")
        self._append(f"You: {question}\n\nAssistant: ")
        self.show_status("The assistant is writing the script…")

    def append_answer(self, text: str) -> None:
        self._answer += text
        cursor = self.conversation.textCursor()
        cursor.movePosition(QTextCursor.MoveOperation.End)
        cursor.insertText(text)
        self.conversation.setTextCursor(cursor)

    def finish_answer(
        self, builder: BuilderView | None, has_script: bool, failure: str | None
    ) -> None:
        self._streaming = False
        self.send_button.setText("Send")
        if builder is not None:
            self.builder = builder
            self.conversation.setPlainText(_transcript(builder))
            self.conversation.moveCursor(QTextCursor.MoveOperation.End)
            if has_script and failure is None:
                self._set_script(builder.script, builder.language)
        if failure:
            self.show_status(failure, error=True)
        elif has_script:
            self.show_status(
                "The script is in the editor (✎ Write it myself to change it). Submit attaches "
                "it to the fix."
            )
        else:
            self.show_status("The answer has no script yet: answer its question, or ask again.")

    def show_status(self, text: str, *, error: bool = False) -> None:
        self.status_label.setText(text)
        set_style_property(self.status_label, "role", "error" if error else "header-meta")

    # ---- Private

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if (
            watched is self.input
            and event.type() == QEvent.Type.KeyPress
            and isinstance(event, QKeyEvent)
            and event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter)
            and not event.modifiers() & Qt.KeyboardModifier.ShiftModifier
        ):
            self._send_or_stop()
            return True
        return super().eventFilter(watched, event)

    def _send_or_stop(self) -> None:
        if self._streaming:
            self.sig_stop.emit()
            return
        text = self.input.toPlainText().strip()
        if not text:
            self.show_status("Say what the script should do first.", error=True)
            return
        self.input.clear()
        self.sig_send.emit(text)

    def _submit(self) -> None:
        if not self.editor.text().strip():
            self.show_status("The script is empty: ask the assistant, or write it.", error=True)
            return
        self.sig_submit.emit(self.editor.text(), self.language)

    def _save_template(self) -> None:
        if not self.editor.text().strip():
            self.show_status("The script is empty: nothing to save yet.", error=True)
            return
        self.sig_save_template.emit(self.editor.text(), self.language)

    def _set_script(self, script: str, language: str | None) -> None:
        self._loading = True
        try:
            if language and language in LANGUAGES:
                self.language_combo.setCurrentText(language)
            self.editor.set_language(self.language)
            self.editor.set_text(script)
        finally:
            self._loading = False

    def _edited(self) -> None:
        if not self._loading:
            self._save_timer.start()

    def _language_changed(self, language: str) -> None:
        self.editor.set_language(language)
        if not self._loading:
            self._save_timer.start()

    def _append(self, text: str) -> None:
        cursor = self.conversation.textCursor()
        cursor.movePosition(QTextCursor.MoveOperation.End)
        if not self.conversation.document().isEmpty():
            cursor.insertText("\n\n")
        cursor.insertText(text)
        self.conversation.setTextCursor(cursor)


def _transcript(builder: BuilderView) -> str:
    parts = []
    for message in builder.messages:
        who = "You" if message.role == "user" else "Assistant"
        text = message.content
        if message.error:
            text = (text + "\n" if text else "") + f"[{message.error}]"
        parts.append(f"{who}: {text}")
    return "\n\n".join(parts)
