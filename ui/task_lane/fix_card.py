"""The suggested fix card: title, confidence badge, status, description on expand, Dismiss,
and the superseded suggestions as history. Activating the card opens the fix's script.

The fix is the model's text: its title, status notes and description are plain text.
"""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QKeyEvent, QMouseEvent
from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QPushButton, QVBoxLayout, QWidget

from flowpilot_desktop import fix_outcome
from flowpilot_desktop.task_lane_service import FixView
from ui.safe_text import plain_label, plain_text
from ui.widgets.labels import meta_label
from ui.widgets.status_text import fix_status_text
from ui.widgets.wrapping import breakable


def confidence_band(confidence: int) -> str:
    """The badge's band (the theme's stylesheet colours each): high, medium, low."""
    if confidence >= 80:
        return "high"
    if confidence >= 50:
        return "medium"
    return "low"


def confidence_badge(confidence: int, parent: QWidget) -> QLabel:
    badge = plain_text(QLabel(f"{confidence}%", parent))
    badge.setObjectName("fixConfidence")
    badge.setAccessibleName(f"Confidence {confidence} percent")
    badge.setProperty("band", confidence_band(confidence))
    return badge


class FixCard(QFrame):
    sig_open = Signal()
    """Open the fix's script path (SPEC §7)."""
    sig_dismiss = Signal()
    sig_history = Signal()

    def __init__(self, fix: FixView, superseded: int, parent: QWidget) -> None:
        super().__init__(parent)
        self.fix = fix
        self.setObjectName("fixCard")
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self.setProperty("laneKey", "fix:card")
        self.setAccessibleName(f"Suggested fix: {fix.title}. Enter opens its script.")
        title = plain_label(breakable(fix.title), self, "fixTitle")
        title.setProperty("role", "header-title")
        top = QHBoxLayout()
        top.addWidget(title, 1)
        top.addWidget(confidence_badge(fix.confidence, self), 0, Qt.AlignmentFlag.AlignTop)
        self.status_label = meta_label(fix_status_text(fix), self, "fixStatus")
        self.description = plain_label(breakable(fix.description), self, "fixDescription")
        self.description.hide()
        self.details_button = QPushButton("Details", self)
        self.details_button.setObjectName("fixDetails")
        self.details_button.setCheckable(True)
        self.details_button.setAccessibleName("Show or hide the fix's description")
        self.details_button.setProperty("laneKey", "fix:details")
        self.details_button.setVisible(bool(fix.description))
        self.details_button.toggled.connect(self.description.setVisible)
        has_script = bool((fix.script or "").strip())
        label = "Template script" if fix.template_id else "Script" if has_script else "Write script"
        self.open_button = QPushButton(label, self)
        self.open_button.setObjectName("fixOpen")
        self.open_button.setAccessibleName("Open the fix's script")
        self.open_button.setProperty("laneKey", "fix:open")
        self.open_button.clicked.connect(self.sig_open)
        self.dismiss_button = QPushButton("Dismiss", self)
        self.dismiss_button.setObjectName("fixDismiss")
        self.dismiss_button.setAccessibleName("Dismiss this fix")
        self.dismiss_button.setProperty("laneKey", "fix:dismiss")
        self.dismiss_button.setEnabled(fix.status not in fix_outcome.TERMINAL)
        self.dismiss_button.clicked.connect(self.sig_dismiss)
        buttons = QHBoxLayout()
        buttons.setSpacing(4)
        buttons.addWidget(self.details_button)
        buttons.addWidget(self.open_button)
        buttons.addStretch(1)
        buttons.addWidget(self.dismiss_button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(10, 8, 10, 8)
        layout.addLayout(top)
        layout.addWidget(self.status_label)
        layout.addWidget(self.description)
        layout.addLayout(buttons)
        self.history_button: QPushButton | None = None
        if superseded:
            self.history_button = QPushButton(
                f"{superseded} earlier suggestion{'s' if superseded != 1 else ''}", self
            )
            self.history_button.setObjectName("fixHistory")
            self.history_button.setFlat(True)
            self.history_button.setAccessibleName("Show the earlier, superseded suggestions")
            self.history_button.setProperty("laneKey", "fix:history")
            self.history_button.clicked.connect(self.sig_history)
            layout.addWidget(self.history_button, 0, Qt.AlignmentFlag.AlignLeft)

    def keyPressEvent(self, event: QKeyEvent) -> None:
        if event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter, Qt.Key.Key_Space):
            self.sig_open.emit()
            return
        super().keyPressEvent(event)

    def mouseDoubleClickEvent(self, event: QMouseEvent) -> None:
        self.sig_open.emit()
        super().mouseDoubleClickEvent(event)
