"""Text from outside (the model, ConnectWise, a paste) is shown as data, never as markup.

Qt labels guess rich text by default, and its markdown lets raw HTML through, so a reply or a
ticket field could render tags, load a local image or hide a ``file:``/``smb:`` link behind a
harmless word. Here: markdown becomes HTML through a document that never held raw HTML or an
image, other labels are plain text, and a link opens only after the technician has seen the
full address (and only for web and e-mail addresses).
"""

from __future__ import annotations

import html
import math
import re

from PySide6.QtCore import QObject, Qt, QTimer, QUrl
from PySide6.QtGui import (
    QDesktopServices,
    QGuiApplication,
    QResizeEvent,
    QTextCharFormat,
    QTextCursor,
    QTextDocument,
    QTextFormat,
    QTextOption,
)
from PySide6.QtWidgets import (
    QDialog,
    QHBoxLayout,
    QLabel,
    QPlainTextEdit,
    QPushButton,
    QTextBrowser,
    QVBoxLayout,
    QWidget,
)

from ui.widgets.wrapping import LONG_RUN, breakable

SAFE_RICH_TEXT = "safeRichText"
"""Dynamic property on a label whose rich text came from ``markdown_to_safe_html``."""
MARKDOWN_SOURCE = "markdownSource"
"""Dynamic property: the markdown such a label shows (its ``text()`` is Qt's HTML)."""
OPENABLE_SCHEMES = frozenset({"http", "https", "mailto"})
COPIED_FEEDBACK_MS = 1500
ADDRESS_MAX_LINES = 8
_MARKDOWN_FEATURES = (
    QTextDocument.MarkdownFeature.MarkdownDialectGitHub
    | QTextDocument.MarkdownFeature.MarkdownNoHTML
)
# Qt writes the document's default font on <body>; without it the label's own font applies,
# as it did when the label rendered the markdown itself.
_BODY_STYLE = re.compile(r'<body style="[^"]*">')


class _NoResourceDocument(QTextDocument):
    """Loads nothing: a belt to the braces of removing every image before any layout."""

    def loadResource(self, type: int, name: QUrl) -> object:
        return None


def markdown_to_safe_html(markdown: str) -> str:
    """Qt's own HTML for ``markdown``, with raw HTML kept as literal text and every image
    replaced by "[image: alt]", so it is safe to show as ``Qt.TextFormat.RichText``.

    A fresh document per call: measured, reusing one saves ~0.02 ms a paragraph, less than
    its lifetime (it would outlive the application) is worth.
    """
    document = _NoResourceDocument()
    document.setMarkdown(markdown, _MARKDOWN_FEATURES)
    _replace_images(document)
    _soften_long_runs(document)
    return _BODY_STYLE.sub("<body>", document.toHtml(), count=1)


def _soften_long_runs(document: QTextDocument) -> None:
    """Long paths, GUIDs and URLs in the prose wrap instead of widening the conversation
    (a link's address is untouched: only its visible text gets break opportunities). Inline
    code is left exactly as written, so what a technician selects and copies still runs."""
    pieces: list[tuple[int, int, str, QTextCharFormat]] = []
    block = document.begin()
    while block.isValid():
        fragments = block.begin()
        while not fragments.atEnd():
            fragment = fragments.fragment()
            char_format = fragment.charFormat()
            text = fragment.text()
            if len(text) >= LONG_RUN and not char_format.fontFixedPitch():
                softened = breakable(text)
                if softened != text:
                    pieces.append((fragment.position(), fragment.length(), softened, char_format))
            fragments += 1
        block = block.next()
    cursor = QTextCursor(document)
    for position, length, softened, char_format in reversed(pieces):
        cursor.setPosition(position)
        cursor.setPosition(position + length, QTextCursor.MoveMode.KeepAnchor)
        cursor.insertText(softened, char_format)


def _replace_images(document: QTextDocument) -> None:
    """Every image character becomes italic text naming it ("[image: alt]"); a link on the
    image itself stays a link (Qt's importer drops the link around ``[![alt](img)](url)``)."""
    images: list[tuple[int, QTextCharFormat]] = []
    block = document.begin()
    while block.isValid():
        fragments = block.begin()
        while not fragments.atEnd():
            fragment = fragments.fragment()
            char_format = fragment.charFormat()
            if char_format.isImageFormat():
                start = fragment.position()
                images.extend((start + i, char_format) for i in range(fragment.length()))
            fragments += 1
        block = block.next()
    cursor = QTextCursor(document)
    for position, image_format in reversed(images):
        alt = str(image_format.property(QTextFormat.Property.ImageAltText) or "").strip()
        text_format = QTextCharFormat()
        text_format.setFontItalic(True)
        if image_format.isAnchor():
            text_format.setAnchor(True)
            text_format.setAnchorHref(image_format.anchorHref())
            text_format.setForeground(image_format.foreground())
        cursor.setPosition(position)
        cursor.setPosition(position + 1, QTextCursor.MoveMode.KeepAnchor)
        cursor.insertText(f"[image: {alt}]" if alt else "[image]", text_format)


def plain_text(label: QLabel) -> QLabel:
    """Show ``label``'s text as typed, whatever it contains (returns the label)."""
    label.setTextFormat(Qt.TextFormat.PlainText)
    return label


def plain_label(text: str, parent: QWidget, object_name: str = "") -> QLabel:
    """A label for outside text: plain, word-wrapped."""
    label = plain_text(QLabel(parent))
    label.setText(text)
    label.setWordWrap(True)
    if object_name:
        label.setObjectName(object_name)
    return label


def set_safe_markdown(label: QLabel, markdown: str) -> None:
    """Render ``markdown`` into ``label`` as safe rich text (see ``markdown_to_safe_html``)."""
    if label.textFormat() != Qt.TextFormat.RichText:
        label.setTextFormat(Qt.TextFormat.RichText)
    label.setProperty(SAFE_RICH_TEXT, True)
    label.setProperty(MARKDOWN_SOURCE, markdown)
    label.setText(markdown_to_safe_html(markdown))


def plain_tooltip(text: str) -> str:
    """A tooltip that shows ``text`` literally (Qt guesses rich text for tooltips too)."""
    if not text:
        return ""
    return "<qt>" + html.escape(text).replace("\n", "<br>") + "</qt>"


# ---- Links


def is_openable(url: str) -> bool:
    """Only web and e-mail addresses are ever handed to the desktop (never file:, smb:,
    javascript:, ms-settings:, relative links …)."""
    parsed = QUrl(url, QUrl.ParsingMode.StrictMode)
    scheme = parsed.scheme().lower()
    if not parsed.isValid() or scheme not in OPENABLE_SCHEMES:
        return False
    return bool(parsed.host()) if scheme in ("http", "https") else bool(parsed.path())


class _AddressView(QPlainTextEdit):
    """The address, wrapped anywhere and as tall as it is (up to a few lines, then it
    scrolls): nothing of it hides past the edge."""

    def __init__(self, parent: QWidget) -> None:
        super().__init__(parent)
        self.setWordWrapMode(QTextOption.WrapMode.WrapAnywhere)
        self._fit()

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)  # lays the text out again at the new width
        self._fit()

    def _fit(self) -> None:
        lines = min(max(self.document().lineCount(), 1), ADDRESS_MAX_LINES)
        self.setFixedHeight(
            lines * self.fontMetrics().lineSpacing()
            + math.ceil(2 * self.document().documentMargin())
            + 2 * self.frameWidth()
            + 2
        )


class LinkDialog(QDialog):
    """Shows the full address of a clicked link: Open / Cancel (Cancel the default) for a web
    or e-mail address, or why FlowPilot does not open it; Copy either way."""

    def __init__(self, url: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.url = url
        self.openable = is_openable(url)
        # What the browser would get, fully encoded: a look-alike host shows as xn--…
        self.address = (
            bytes(QUrl(url, QUrl.ParsingMode.StrictMode).toEncoded().data()).decode("ascii")
            if self.openable
            else url
        )
        self.setObjectName("linkConfirmDialog")
        self.setProperty("linkOpenable", self.openable)
        self.setWindowTitle("Open link" if self.openable else "Link not opened")
        self.setAccessibleName(
            "Confirm opening a link" if self.openable else "FlowPilot does not open this link"
        )
        self.setMinimumWidth(480)
        layout = QVBoxLayout(self)
        self.message = plain_label(
            "Open this address in your browser?"
            if self.openable
            else "FlowPilot does not open this kind of link. Only web addresses (http, https) "
            "and e-mail links (mailto) can be opened from here: this one could open a file or "
            "run a program. Copy it if you need it, and check it before you use it.",
            self,
            "linkMessage",
        )
        layout.addWidget(self.message)
        self.address_view = _AddressView(self)
        self.address_view.setObjectName("linkAddress")
        self.address_view.setAccessibleName("Link address")
        self.address_view.setReadOnly(True)
        self.address_view.setTextInteractionFlags(
            Qt.TextInteractionFlag.TextSelectableByMouse
            | Qt.TextInteractionFlag.TextSelectableByKeyboard
        )
        self.address_view.setTabChangesFocus(True)
        self.address_view.setPlainText(self.address)
        layout.addWidget(self.address_view)
        buttons = QHBoxLayout()
        self.copy_button = QPushButton("Copy address", self)
        self.copy_button.setObjectName("linkCopyButton")
        self.copy_button.setAccessibleName("Copy the link address")
        self.copy_button.setAutoDefault(False)
        self.copy_button.clicked.connect(self.copy)
        buttons.addWidget(self.copy_button)
        buttons.addStretch(1)
        self.cancel_button = QPushButton("Cancel" if self.openable else "Close", self)
        self.cancel_button.setObjectName("linkCancelButton")
        self.cancel_button.setAccessibleName(
            "Cancel: do not open the link" if self.openable else "Close"
        )
        self.cancel_button.clicked.connect(self.reject)
        buttons.addWidget(self.cancel_button)
        self.open_button: QPushButton | None = None
        if self.openable:
            self.open_button = QPushButton("Open", self)
            self.open_button.setObjectName("linkOpenButton")
            self.open_button.setAccessibleName("Open the link in the browser")
            self.open_button.clicked.connect(self.accept)
            buttons.addWidget(self.open_button)
        layout.addLayout(buttons)
        self.cancel_button.setDefault(True)  # Enter never opens by accident
        self.cancel_button.setFocus(Qt.FocusReason.OtherFocusReason)
        self.adjustSize()

    def copy(self) -> None:
        QGuiApplication.clipboard().setText(self.address)
        self.copy_button.setText("Copied")
        QTimer.singleShot(
            COPIED_FEEDBACK_MS, self.copy_button, lambda: self.copy_button.setText("Copy address")
        )


def open_link_with_confirmation(parent: QWidget | None, url: str) -> LinkDialog:
    """Ask before opening ``url`` (window-modal, not blocking); opens only an accepted web or
    e-mail address. Returns the dialog, which deletes itself once closed."""
    dialog = LinkDialog(url, parent)
    dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)

    def finished(result: int) -> None:
        if result == QDialog.DialogCode.Accepted and dialog.openable:
            QDesktopServices.openUrl(QUrl(url, QUrl.ParsingMode.StrictMode))

    dialog.finished.connect(finished)
    dialog.open()
    dialog.cancel_button.setFocus(Qt.FocusReason.OtherFocusReason)
    return dialog


class SafeLinks(QObject):
    """A label's (or browser's) link clicks go through ``open_link_with_confirmation``."""

    def __init__(self, widget: QLabel | QTextBrowser) -> None:
        super().__init__(widget)
        self.setObjectName("safeLinks")
        self._widget = widget
        if isinstance(widget, QTextBrowser):
            widget.setOpenLinks(False)
            widget.setOpenExternalLinks(False)
            widget.anchorClicked.connect(lambda url: self.activate(url.toString()))
        else:
            widget.setOpenExternalLinks(False)
            widget.linkActivated.connect(self.activate)

    def activate(self, url: str) -> LinkDialog:
        return open_link_with_confirmation(self._widget.window(), url)


def connect_safe_links(widget: QLabel | QTextBrowser) -> SafeLinks:
    """Route ``widget``'s link clicks through the confirmation dialog."""
    return SafeLinks(widget)
