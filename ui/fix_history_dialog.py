"""The history of superseded fix suggestions.

The titles and descriptions are the model's: the markdown goes through
``markdown_to_safe_html`` (no raw HTML, no image) and a link opens only once confirmed.
"""

from __future__ import annotations

from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QTextBrowser,
    QVBoxLayout,
    QWidget,
)

from flowpilot_desktop.task_lane_service import FixView
from ui.safe_text import SAFE_RICH_TEXT, connect_safe_links, markdown_to_safe_html
from ui.widgets.status_text import fix_status_text


class FixHistoryDialog(QDialog):
    """The superseded suggestions of a session, newest first."""

    def __init__(self, history: tuple[FixView, ...], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("fixHistoryDialog")
        self.setWindowTitle("Earlier suggestions")
        self.setAccessibleName("Earlier, superseded fix suggestions")
        self.resize(520, 380)
        layout = QVBoxLayout(self)
        self.browser = QTextBrowser(self)
        self.browser.setObjectName("fixHistoryText")
        self.browser.setAccessibleName("Earlier suggestions")
        self.browser.setProperty(SAFE_RICH_TEXT, True)
        connect_safe_links(self.browser)
        parts = []
        for fix in history:
            when = fix.superseded_at.strftime("%Y-%m-%d %H:%M") if fix.superseded_at else ""
            parts.append(
                f"### {fix.title} · {fix.confidence}%\n\n"
                f"*{fix_status_text(fix)} — replaced {when} UTC*\n\n{fix.description}\n"
            )
        self.browser.setHtml(
            markdown_to_safe_html("\n\n---\n\n".join(parts) or "No earlier suggestions.")
        )
        layout.addWidget(self.browser, 1)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close, self)
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)
