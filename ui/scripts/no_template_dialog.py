"""The NoTemplate dialog (SPEC §7): the fix has a drafted script but no team template.

The script is editable before deciding, with the assistant's proposed parameter values marked.
Three choices: run it once, run now and templatize after (recommended, the default), or
build a template. Keys: 1/2/3 pick (Alt+1/2/3 from inside the editor), Enter or Ctrl+Enter
continues, Esc cancels. The dialog stays open until the controller says the decision was
saved, so a refusal is shown here and the edited script is not lost.
"""

from __future__ import annotations

from PySide6.QtCore import QEvent, QObject, Qt, Signal
from PySide6.QtGui import QKeyEvent, QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QButtonGroup,
    QDialog,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QSizePolicy,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from flowpilot_desktop.task_lane_service import FixView
from ui.code_editor import CodeEditor
from ui.ops import TaskRunner
from ui.safe_text import plain_label, plain_text
from ui.scripts.script_check_panel import ScriptCheckPanel, confirm_dangerous
from ui.widgets.labels import error_label, meta_label

RECOMMENDED = "draft_template"
OPTIONS = (
    (
        "one_off",
        "Run it once",
        "Copy the script and mark the fix as run. Nothing is kept for the team.",
    ),
    (
        "draft_template",
        "Run now, templatize after",
        "Copy and mark as run. After you resolve, FlowPilot offers it as a team template.",
    ),
    (
        "build_template",
        "Build a template",
        "Open the template editor with this script first. Nothing is marked as run.",
    ),
)
CARD_HEIGHT = 104
_ENTER = (Qt.Key.Key_Return, Qt.Key.Key_Enter)
_KEYS = {Qt.Key.Key_1: 0, Qt.Key.Key_2: 1, Qt.Key.Key_3: 2}


class OptionCard(QToolButton):
    """A checkable card: number and title, an optional "Recommended" mark, a wrapped line
    saying what happens."""

    def __init__(
        self, number: int, title: str, description: str, recommended: bool, parent: QWidget
    ) -> None:
        super().__init__(parent)
        self.setCheckable(True)
        self.setProperty("role", "option-card")
        self.setAccessibleName(f"{number}: {title}{' (recommended)' if recommended else ''}")
        self.setAccessibleDescription(description)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
        self.setMinimumHeight(CARD_HEIGHT)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(12, 8, 12, 8)
        heading = plain_label(f"{number}  {title}", self, "optionTitle")
        layout.addWidget(heading)
        if recommended:
            mark = plain_text(QLabel("Recommended", self))
            mark.setObjectName("optionRecommended")
            layout.addWidget(mark, 0, Qt.AlignmentFlag.AlignLeft)
        text = plain_label(description, self, "optionDescription")
        layout.addWidget(text, 1)
        for label in self.findChildren(QLabel):
            label.setAttribute(Qt.WidgetAttribute.WA_TransparentForMouseEvents)


class NoTemplateDialog(QDialog):
    sig_decided = Signal(str, str)
    """(decision, the script as it is in the editor)."""

    def __init__(
        self, fix: FixView, parent: QWidget | None = None, *, runner: TaskRunner | None = None
    ) -> None:
        super().__init__(parent)
        self.fix = fix
        self.setObjectName("noTemplateDialog")
        self.setWindowTitle("Use the drafted script")
        self.setAccessibleName("No team template matches: choose how to use the script")
        self.setModal(True)
        self.resize(860, 580)
        layout = QVBoxLayout(self)
        title = plain_label(fix.title, self, "noTemplateFixTitle")  # the model's words
        title.setProperty("role", "header-title")
        layout.addWidget(title)
        values = [str(v) for v in fix.parameters.values() if v is not None and str(v).strip()]
        hint = "No team template matches this fix. You can edit the script before choosing."
        if values:
            hint += (
                " Highlighted: the values the assistant drafted from this session — a template "
                "would turn them into parameters."
            )
        layout.addWidget(meta_label(hint, self, "noTemplateHint"))
        self.editor = CodeEditor(self)
        self.editor.setObjectName("noTemplateEditor")
        self.editor.set_language(fix.language or "powershell")
        self.editor.set_text(fix.script or "")
        self.editor.mark_values(values)
        self.editor.focusProxy().installEventFilter(self)  # Alt+1/2/3 while typing
        layout.addWidget(self.editor, 1)
        self.check_panel = ScriptCheckPanel(self.editor, self, runner=runner)
        self.check_panel.check_now()  # the drafted script's findings show from the start
        layout.addWidget(self.check_panel)

        cards = QHBoxLayout()
        self.group = QButtonGroup(self)
        self.cards: dict[str, QToolButton] = {}
        for number, (decision, label, description) in enumerate(OPTIONS, start=1):
            card = OptionCard(number, label, description, decision == RECOMMENDED, self)
            card.setObjectName(f"option_{decision}")
            self.group.addButton(card, number - 1)
            self.cards[decision] = card
            cards.addWidget(card)
            card.clicked.connect(lambda _checked, c=card: c.setFocus())
            QShortcut(QKeySequence(f"Alt+{number}"), self, lambda n=number - 1: self.choose(n))
        layout.addLayout(cards)

        self.error = error_label(self, "noTemplateError")
        layout.addWidget(self.error)
        buttons = QHBoxLayout()
        keys = meta_label("1 / 2 / 3 choose · Enter continues · Esc cancels", self)
        keys.setWordWrap(False)
        buttons.addWidget(keys)
        buttons.addStretch(1)
        self.cancel_button = QPushButton("Cancel", self)
        self.cancel_button.setObjectName("noTemplateCancel")
        self.cancel_button.setAutoDefault(False)
        self.cancel_button.clicked.connect(self.reject)
        self.continue_button = QPushButton("Continue", self)
        self.continue_button.setObjectName("noTemplateContinue")
        self.continue_button.setProperty("role", "primary")
        self.continue_button.setDefault(True)
        self.continue_button.clicked.connect(self._continue)
        buttons.addWidget(self.cancel_button)
        buttons.addWidget(self.continue_button)
        layout.addLayout(buttons)
        QShortcut(QKeySequence("Ctrl+Return"), self, self._continue)
        self.choose(1)

    @property
    def decision(self) -> str:
        return OPTIONS[max(self.group.checkedId(), 0)][0]

    def choose(self, index: int) -> None:
        card = self.group.button(index)
        card.setChecked(True)
        card.setFocus()

    def show_error(self, message: str) -> None:
        self.set_busy(False)
        self.error.setText(message)
        self.error.show()

    def set_busy(self, busy: bool) -> None:
        self.continue_button.setEnabled(not busy)
        self.continue_button.setText("Saving…" if busy else "Continue")

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        """The editor takes Alt+digit and Ctrl+Enter for itself: handle them here first."""
        if event.type() == QEvent.Type.KeyPress and isinstance(event, QKeyEvent):
            key, modifiers = Qt.Key(event.key()), event.modifiers()
            index = _KEYS.get(key)
            if index is not None and modifiers == Qt.KeyboardModifier.AltModifier:
                self.group.button(index).setChecked(True)
                return True
            if key in _ENTER and modifiers & Qt.KeyboardModifier.ControlModifier:
                self._continue()
                return True
        return super().eventFilter(watched, event)

    def keyPressEvent(self, event: QKeyEvent) -> None:
        """Digits reach here only when the focus is not in the editor (which types them)."""
        index = _KEYS.get(Qt.Key(event.key()))
        if index is not None and not event.modifiers():
            self.choose(index)
            return
        super().keyPressEvent(event)

    def _continue(self) -> None:
        if not self.continue_button.isEnabled():
            return
        decision, script = self.decision, self.editor.text()
        if decision == "build_template":  # nothing is copied or marked as run
            self._decide(decision, script)
            return
        confirm_dangerous(
            self, self.check_panel.dangers(), "Copy", lambda: self._decide(decision, script)
        )

    def _decide(self, decision: str, script: str) -> None:
        self.error.hide()
        self.set_busy(True)
        self.sig_decided.emit(decision, script)
