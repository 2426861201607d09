"""Text from outside (the model, ConnectWise, a paste) is shown as data: what the technician
sees is the literal characters, no image is ever loaded, and a link opens only once its full
address was seen and confirmed (and never for file:, smb:, javascript: …)."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest
from PySide6.QtCore import QObject, QPoint, Qt, QUrl, Slot
from PySide6.QtGui import QDesktopServices, QGuiApplication, QTextDocument
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication, QLabel, QPlainTextEdit, QPushButton, QWidget

from flowpilot_desktop.assistant.chat import ChatMessage
from flowpilot_desktop.conclusion import NoteKind
from flowpilot_desktop.conclusion.posting import SyncState, SyncView
from flowpilot_desktop.config import AppConfig, ConfigStore
from flowpilot_desktop.task_lane_service import FactView, FixView, TaskLaneState
from flowpilot_desktop.tickets import TicketSnapshot
from storage.repositories.sessions import SessionSummary
from storage.repositories.templates import TemplateRecord
from tests.anthropic_emulator import ScriptedReply
from tests.connectwise_emulator import CLIENT_ID, COMPANY, PRIVATE_KEY, PUBLIC_KEY, standard_setup
from tests.ui.helpers import activate
from ui.chat_dock.message_view import MessageBubble, MessageView
from ui.chat_dock.outcome_banner import OutcomeBanner
from ui.chat_dock.sync_strip import SyncStrip
from ui.chat_dock.ticket_card import TicketCard
from ui.conclusion.intercept_dialog import InterceptDialog
from ui.fix_history_dialog import FixHistoryDialog
from ui.safe_text import (
    MARKDOWN_SOURCE,
    SAFE_RICH_TEXT,
    LinkDialog,
    markdown_to_safe_html,
    plain_tooltip,
)
from ui.scripts.no_template_dialog import NoTemplateDialog
from ui.scripts.scripts_view import ScriptsView
from ui.scripts.template_match import TemplateMatchPanel
from ui.sessions_dock.widgets import SessionsPanel
from ui.task_lane.facts import FactsSection
from ui.task_lane.fix_card import FixCard
from ui.task_lane.items import CheckRow, QuestionRow
from ui.widgets.labels import error_label, meta_label
from ui.widgets.session_header import SessionHeader

HOSTILE = "<b>bold</b> <img src=file:///x.png> <username>"
REPLY = (
    "Run net user <username> /domain\n\n"
    'Then <b>bold</b> and <img src="file:///etc/hostname"> and <h1>big</h1>\n\n'
    "![x](file:///etc/passwd) [![logo](file:///tmp/logo.png)](https://example.com/docs)"
)
LINKS = {
    "report": "file:///C:/Windows/System32/calc.exe",
    "share": "smb://host/share/x.exe",
    "click": "javascript:alert(1)",
    "settings": "ms-settings:privacy",
    "relative": "setup.exe",
    "docs": "https://learn.microsoft.com/en-us/windows/client-management/",
}
NOW = datetime(2026, 5, 1, 12, 0, tzinfo=UTC)


def _message(text: str, role: str = "assistant") -> ChatMessage:
    return ChatMessage("m", role, text, text, None, None, False, None, (), NOW)


def _seen(label: QLabel) -> str:
    """The characters the technician reads in ``label``."""
    if label.textFormat() == Qt.TextFormat.PlainText:
        return label.text()
    document = QTextDocument()
    document.setHtml(label.text())
    return document.toPlainText()


def _anchors(label: QLabel) -> dict[str, str]:
    """{link text: the href a click on it hands to linkActivated}."""
    document = QTextDocument()
    document.setHtml(label.text())
    found: dict[str, str] = {}
    block = document.begin()
    while block.isValid():
        fragments = block.begin()
        while not fragments.atEnd():
            fragment = fragments.fragment()
            if fragment.charFormat().isAnchor():
                found[fragment.text()] = fragment.charFormat().anchorHref()
            fragments += 1
        block = block.next()
    return found


class _UrlRecorder(QObject):
    """Catches QDesktopServices.openUrl at the C++ level too (a label opening links itself
    would go around a Python monkeypatch)."""

    def __init__(self) -> None:
        super().__init__()
        self.urls: list[str] = []

    @Slot(QUrl)
    def handle(self, url: QUrl) -> None:
        self.urls.append(url.toString())


@pytest.fixture
def opened(monkeypatch: pytest.MonkeyPatch):
    """Every URL anything asked the desktop to open during the test."""
    recorder = _UrlRecorder()
    schemes = ("http", "https", "mailto", "file", "smb", "javascript", "ms-settings")
    for scheme in schemes:
        QDesktopServices.setUrlHandler(scheme, recorder, "handle")

    def open_url(url: QUrl) -> bool:
        recorder.urls.append(url.toString())
        return True

    monkeypatch.setattr(QDesktopServices, "openUrl", staticmethod(open_url))
    yield recorder.urls
    for scheme in schemes:
        QDesktopServices.unsetUrlHandler(scheme)


_VIEWS: list[MessageView] = []


@pytest.fixture(autouse=True)
def _release_views():
    yield
    _VIEWS.clear()


def _bubble(qtbot, text: str) -> MessageBubble:
    """A reply in a shown conversation view (kept alive until the test ends)."""
    view = MessageView()
    qtbot.addWidget(view)
    _VIEWS.append(view)
    view.resize(520, 600)
    view.show()
    qtbot.waitExposed(view)
    return view.add_message(_message(text))


def _link_dialog(qtbot, parent: QWidget) -> LinkDialog:
    qtbot.waitUntil(lambda: any(d.isVisible() for d in parent.findChildren(LinkDialog)))
    return next(d for d in parent.findChildren(LinkDialog) if d.isVisible())


def _closed(qtbot, dialog: LinkDialog) -> None:
    qtbot.waitUntil(lambda: not dialog.isVisible())
    qtbot.wait(10)  # let the deleteLater of the closed dialog run


# ---- Replies


def test_a_reply_shows_markup_literally_and_loads_no_image(qtbot) -> None:
    bubble = _bubble(qtbot, REPLY)
    labels = bubble.findChildren(QLabel, "bubbleText")
    seen = "\n".join(_seen(label) for label in labels)
    assert "Run net user <username> /domain" in seen
    assert "<b>bold</b>" in seen and "<h1>big</h1>" in seen
    assert '<img src="file:///etc/hostname">' in seen
    assert "[image: x]" in seen and "[image: logo]" in seen
    for label in labels:
        assert label.textFormat() == Qt.TextFormat.RichText and label.property(SAFE_RICH_TEXT)
        assert "<img" not in label.text(), "no image element reaches the label"
        assert not label.openExternalLinks()
    assert bubble.text == REPLY
    assert [label.property(MARKDOWN_SOURCE) for label in labels] == [REPLY]


def test_markdown_still_renders_as_markdown(qtbot) -> None:
    bubble = _bubble(qtbot, "Check **the spooler** with `Get-Service <name>`:\n\n- one\n- two")
    label = bubble.findChild(QLabel, "bubbleText")
    assert _seen(label).split("\n") == ["Check the spooler with Get-Service <name>:", "one", "two"]
    assert "font-weight:700" in label.text(), "bold is still bold"
    assert "<li" in label.text(), "a list is still a list"


def test_safe_html_never_holds_an_image_or_raw_html() -> None:
    html = markdown_to_safe_html(
        "<script>alert(1)</script> ![](http://tracker.example/p.gif) ![a](file:///a.png)"
        " ![b][ref]\n\n[ref]: smb://host/b.png"
    )
    assert "<img" not in html and "<script" not in html
    document = QTextDocument()
    document.setHtml(html)
    assert document.toPlainText() == "<script>alert(1)</script>  [image: a] [image: b]"


def test_the_streaming_tail_shows_markup_literally(qtbot) -> None:
    view = MessageView()
    qtbot.addWidget(view)
    bubble = view.begin_streaming()
    view.append_streamed("Use <b>x</b> to check\n\nthen run net user <username> /domain ")
    bubble.flush_streamed()
    raw = bubble.findChild(QLabel, "bubbleTail")
    assert raw.textFormat() == Qt.TextFormat.PlainText
    assert "<username>" in raw.text(), "the raw text is on screen as typed"
    bubble.render_streaming()
    view.append_streamed("and <img src=file:///etc/passwd>")
    bubble.render_streaming()
    committed = bubble.findChild(QLabel, "bubbleText")
    tail = bubble.findChild(QLabel, "bubbleTailRendered")
    assert _seen(committed) == "Use <b>x</b> to check"
    assert _seen(tail) == "then run net user <username> /domain and <img src=file:///etc/passwd>"
    assert tail.property(SAFE_RICH_TEXT) and "<img" not in tail.text()
    assert not tail.openExternalLinks()
    view.finish_streaming(_message(bubble.text))
    assert all("<img" not in label.text() for label in bubble.findChildren(QLabel, "bubbleText"))


# ---- Links


def _links_reply() -> str:
    return "\n\n".join(f"[{text}]({url})" for text, url in LINKS.items())


@pytest.mark.parametrize("text", ["report", "share", "click", "settings", "relative"])
def test_a_link_that_is_not_web_or_mail_is_never_opened(qtbot, opened, text) -> None:
    bubble = _bubble(qtbot, _links_reply())
    label = next(w for w in bubble.findChildren(QLabel, "bubbleText") if text in _seen(w))
    href = _anchors(label)[text]
    assert href == LINKS[text]
    label.linkActivated.emit(href)  # what a click on the link does
    dialog = _link_dialog(qtbot, bubble.window())
    assert dialog.objectName() == "linkConfirmDialog"
    assert "does not open this kind of link" in dialog.message.text()
    address = dialog.findChild(QPlainTextEdit, "linkAddress")
    assert address.toPlainText() == LINKS[text], "the full address, as it was given"
    assert address.isReadOnly()
    assert address.textInteractionFlags() & Qt.TextInteractionFlag.TextSelectableByMouse
    assert dialog.findChild(QPushButton, "linkOpenButton") is None
    copy = dialog.findChild(QPushButton, "linkCopyButton")
    assert copy.accessibleName()
    qtbot.mouseClick(copy, Qt.MouseButton.LeftButton)
    assert QGuiApplication.clipboard().text() == LINKS[text]
    QTest.keyClick(QApplication.focusWidget() or dialog, Qt.Key.Key_Return)
    _closed(qtbot, dialog)
    assert opened == []


def test_a_click_on_a_link_asks_first(qtbot, opened) -> None:
    """A real mouse click on a reply that is only a link."""
    bubble = _bubble(qtbot, "[Open the share now](smb://host/share/x.exe)")
    label = bubble.findChild(QLabel, "bubbleText")
    step = max(label.fontMetrics().height() // 3, 1)
    for y in range(label.contentsRect().top() + 1, label.contentsRect().bottom(), step):
        QTest.mouseClick(
            label, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, QPoint(12, y)
        )
        if label.window().findChildren(LinkDialog):
            break
    dialog = _link_dialog(qtbot, label.window())
    assert dialog.address_view.toPlainText() == "smb://host/share/x.exe"
    dialog.reject()
    _closed(qtbot, dialog)
    assert opened == []


def test_a_web_link_opens_only_once_confirmed(qtbot, opened) -> None:
    bubble = _bubble(qtbot, _links_reply())
    label = next(w for w in bubble.findChildren(QLabel, "bubbleText") if "docs" in _seen(w))
    href = _anchors(label)["docs"]

    label.linkActivated.emit(href)
    dialog = _link_dialog(qtbot, bubble.window())
    assert "Open this address in your browser?" in dialog.message.text()
    assert dialog.address_view.toPlainText() == LINKS["docs"]
    assert dialog.accessibleName() and dialog.open_button.accessibleName()
    qtbot.mouseClick(dialog.cancel_button, Qt.MouseButton.LeftButton)
    _closed(qtbot, dialog)
    assert opened == [], "cancelled: nothing opens"

    label.linkActivated.emit(href)
    dialog = _link_dialog(qtbot, bubble.window())
    assert dialog.cancel_button.isDefault() and not dialog.open_button.isDefault()
    QTest.keyClick(QApplication.focusWidget() or dialog, Qt.Key.Key_Return)
    _closed(qtbot, dialog)
    assert opened == [], "Enter is Cancel"

    label.linkActivated.emit(href)
    dialog = _link_dialog(qtbot, bubble.window())
    qtbot.mouseClick(dialog.findChild(QPushButton, "linkOpenButton"), Qt.MouseButton.LeftButton)
    _closed(qtbot, dialog)
    assert opened == [LINKS["docs"]]


def test_a_web_address_is_shown_as_the_browser_gets_it(qtbot) -> None:
    """A look-alike host shows as its xn-- form, a right-to-left trick as %-escapes."""
    dialog = LinkDialog("https://раураl.com/login\u202egnp.exe")
    qtbot.addWidget(dialog)
    assert dialog.openable
    assert dialog.address.startswith("https://xn--")
    assert dialog.address.endswith(".com/login%E2%80%AEgnp.exe")
    assert dialog.address_view.toPlainText() == dialog.address


def test_history_links_ask_first_too(qtbot, opened) -> None:
    fix = _fix(description="See [the share](smb://host/share/x.exe)", superseded_at=NOW)
    dialog = FixHistoryDialog((fix,))
    qtbot.addWidget(dialog)
    dialog.show()
    assert not dialog.browser.openLinks() and not dialog.browser.openExternalLinks()
    dialog.browser.anchorClicked.emit(QUrl("smb://host/share/x.exe"))
    link = _link_dialog(qtbot, dialog)
    assert link.address_view.toPlainText() == "smb://host/share/x.exe"
    link.reject()
    _closed(qtbot, link)
    assert opened == []


# ---- Labels with outside text


def _fix(**changes: object) -> FixView:
    values: dict[str, object] = {
        "id": "f1",
        "session_id": "s1",
        "title": HOSTILE,
        "description": HOSTILE,
        "confidence": 60,
        "template_id": None,
        "script": "Get-Service",
        "language": "powershell",
        "parameters": {},
        "decision": None,
        "status": "applied_partial",
        "applied_at": NOW,
        "verified_at": None,
        "partial_notes": HOSTILE,
        "failure_reason": None,
        "pending_reason": None,
        "outcome_proposal": None,
        "superseded_at": None,
    }
    values.update(changes)
    return FixView(**values)  # type: ignore[arg-type]


def _template() -> TemplateRecord:
    return TemplateRecord(
        id="t1",
        name=HOSTILE,
        category_id=None,
        category=HOSTILE,
        description=HOSTILE,
        language="powershell",
        body="Get-Service {{name}}",
        parameters_schema=[],
        source_session_id="s1",
        source_user_id=HOSTILE,
        source_ticket_ref=HOSTILE,
        updated_at=NOW,
        uses=2,
    )


def _assert_plain(widget: QWidget, *names: str) -> None:
    """Each named label is plain text and shows the hostile text literally."""
    for name in names:
        label = widget.findChild(QLabel, name)
        assert label is not None, name
        assert label.textFormat() == Qt.TextFormat.PlainText, name
        assert "<username>" in label.text(), name


def test_ticket_card_fields_are_plain(qtbot) -> None:
    card = TicketCard()
    qtbot.addWidget(card)
    fields = {k: HOSTILE for k in ("summary", "company", "contact", "board", "status")}
    snapshot = TicketSnapshot(**fields, description=HOSTILE * 20)
    card.show_ticket("5123", snapshot, HOSTILE)
    _assert_plain(card, "ticketCardTitle", "ticketCardMeta", "ticketCardDescription")
    assert card.description_label.toolTip() == plain_tooltip(" ".join((HOSTILE * 20).split()))
    card.show_ticket("5123", None, HOSTILE)
    _assert_plain(card, "ticketCardMeta")


def test_task_lane_items_are_plain(qtbot) -> None:
    parent = QWidget()
    qtbot.addWidget(parent)
    facts = FactsSection(parent)
    facts.set_facts((FactView("x1", HOSTILE, "engineer_note", None, True, NOW),))
    _assert_plain(facts, "factText")
    question = QuestionRow(
        {"id": "q1", "text": HOSTILE, "options": ["Yes"], "answer": HOSTILE},
        parent,
        promoted=False,
        promoting=False,
        error=HOSTILE,
    )
    _assert_plain(question, "questionText", "questionAnswer", "questionStatus")
    check = CheckRow(
        {
            "id": "c1",
            "label": HOSTILE,
            "description": HOSTILE,
            "command": HOSTILE,
            "result": HOSTILE,
        },
        parent,
        promoted=False,
        promoting=False,
        error="",
    )
    _assert_plain(check, "checkLabel", "checkDescription", "checkCommand", "checkAnswer")
    card = FixCard(_fix(), 1, parent)
    _assert_plain(card, "fixTitle", "fixStatus", "fixDescription")


def test_outcome_banner_is_plain(qtbot) -> None:
    banner = OutcomeBanner()
    qtbot.addWidget(banner)
    fix = _fix(
        status="proposed",
        outcome_proposal={"outcome": "success", "reason": HOSTILE},
    )
    banner.show_state(TaskLaneState("s1", 1, (), (), (), fix, (), 0, 1))
    _assert_plain(banner, "bannerMessage", "bannerDetail")
    banner.show_error(HOSTILE)
    _assert_plain(banner, "bannerError")


def test_sync_strip_is_plain(qtbot) -> None:
    strip = SyncStrip()
    qtbot.addWidget(strip)
    strip.show_views([SyncView(NoteKind.RESOLUTION, SyncState.FAILED, "5123", error=HOSTILE)])
    _assert_plain(strip, "syncText")


def test_fix_history_shows_the_text_literally(qtbot) -> None:
    dialog = FixHistoryDialog((_fix(superseded_at=NOW),))
    qtbot.addWidget(dialog)
    seen = dialog.browser.toPlainText()
    assert seen.count("<username>") >= 3, "title, notes and description"
    assert "<b>bold</b>" in seen and "<img" not in dialog.browser.toHtml()


def test_headers_and_session_list_are_plain(qtbot) -> None:
    header = SessionHeader("chat")
    qtbot.addWidget(header)
    header.show_session(SessionSummary("s1", HOSTILE, HOSTILE, "active", NOW, 1))
    _assert_plain(header, "chatHeaderTitle", "chatHeaderMeta")
    panel = SessionsPanel()
    qtbot.addWidget(panel)
    panel.set_sessions([SessionSummary("s1", HOSTILE, "5123", "active", NOW, 1)])
    assert panel.visible_titles() == [HOSTILE], "the row draws the title as plain text"
    panel.filter_edit.setText("<username> nothing")
    _assert_plain(panel, "sessionsEmpty")


def test_dialogs_and_shared_labels_are_plain(qtbot) -> None:
    intercept = InterceptDialog(HOSTILE, ("applied_success", "applied_failed"))
    qtbot.addWidget(intercept)
    intercept.show_error(HOSTILE)
    _assert_plain(intercept, "interceptFixTitle", "interceptError")
    no_template = NoTemplateDialog(_fix())
    qtbot.addWidget(no_template)
    no_template.show_error(HOSTILE)
    _assert_plain(no_template, "noTemplateFixTitle", "noTemplateError")
    parent = QWidget()
    qtbot.addWidget(parent)
    meta_label(HOSTILE, parent, "anyMeta")
    error_label(parent, "anyError").setText(HOSTILE)
    _assert_plain(parent, "anyMeta", "anyError")


def test_scripts_views_are_plain(qtbot) -> None:
    view = ScriptsView()
    qtbot.addWidget(view)
    view.set_session_title(HOSTILE)
    view.set_templates([_template()])
    _assert_plain(
        view,
        "generatorTitle",
        "generatorMeta",
        "provenanceChip",
        "generatorDescription",
        "generateSessionNote",
    )
    assert view.list.item(0).toolTip() == plain_tooltip(HOSTILE)
    panel = TemplateMatchPanel()
    qtbot.addWidget(panel)
    panel.show_match(_fix(), _template())
    _assert_plain(panel, "templateMatchIntro", "generatorTitle")


def test_plain_tooltip_shows_the_characters() -> None:
    tip = plain_tooltip("a <b>b</b>\nc")
    document = QTextDocument()
    document.setHtml(tip)
    assert document.toPlainText() == "a <b>b</b>\nc"
    assert plain_tooltip("") == ""


# ---- The whole window


HOSTILE_REPLY = "\n".join(
    [
        f"Try this: {HOSTILE}",
        "[QUESTIONS]",
        json.dumps([{"text": HOSTILE, "options": ["Yes", "No"]}]),
        "[/QUESTIONS]",
        "[ACTIONS]",
        json.dumps([{"label": HOSTILE, "command": HOSTILE, "description": HOSTILE}]),
        "[/ACTIONS]",
        "[PROMOTE]",
        json.dumps({"text": HOSTILE}),
        "[/PROMOTE]",
        "[SUGGEST_FIX]",
        json.dumps({"title": HOSTILE, "description": HOSTILE, "confidence": 70}),
        "[/SUGGEST_FIX]",
    ]
)


def test_no_label_in_the_window_renders_outside_text(
    qtbot, qloop, make_window, app_paths, memory_keyring, api, cw
) -> None:
    standard_setup(cw)
    cw.add_ticket(
        30,
        summary=HOSTILE,
        status="In Progress",
        ticket_id=6001,
        company={"id": 1, "identifier": "X", "name": HOSTILE},
        contact={"id": 2, "name": HOSTILE},
        contactName=HOSTILE,
        initialDescription=HOSTILE,
    )
    ConfigStore(app_paths.config_file).save(
        AppConfig(
            anthropic_base_url=api.base_url,
            cw_site=cw.site,
            cw_company_id=COMPANY,
            cw_client_id=CLIENT_ID,
        )
    )
    service = "FlowPilot Desktop"
    memory_keyring.set_password(service, "anthropic_api_key", "sk-ant-safe-text")
    memory_keyring.set_password(service, "cw_public_key", PUBLIC_KEY)
    memory_keyring.set_password(service, "cw_private_key", PRIVATE_KEY)
    window = make_window()
    window.runner.run(window.services.sessions.create(HOSTILE, "6001"))
    qloop.until(lambda: window.sessions_panel.model.rowCount() == 1)
    window.sessions_panel.select_first()
    qloop.until(lambda: window.session_state.lane is not None)
    card = window.chat_dock.ticket_card
    qloop.until(lambda: "<username>" in card.title_label.text())
    activate(qtbot, window)

    api.enqueue(ScriptedReply(text=HOSTILE_REPLY, delay_s=0.002))
    window.focus_chat()
    qtbot.keyClicks(window.chat_dock.composer.edit, "What now?")
    qtbot.keyClick(window.chat_dock.composer.edit, Qt.Key.Key_Return)
    qloop.until(lambda: not window.chat_dock.streaming)
    qloop.until(lambda: window.session_state.lane.active_fix is not None)
    qloop.settle(0.1)

    shown = [
        label
        for label in window.findChildren(QLabel)
        if "<username>" in label.text() or "<b>" in label.text()
    ]
    names = {label.objectName() for label in shown}
    expected = {
        "chatHeaderTitle",
        "ticketCardTitle",
        "ticketCardMeta",
        "ticketCardDescription",
        "questionText",
        "checkLabel",
        "checkCommand",
        "checkDescription",
        "factText",
        "fixTitle",
        "fixDescription",
        "bannerMessage",
        "bannerDetail",
        "quickReplyPrompt",
    }
    assert expected <= names, f"missing: {expected - names}"
    rendered = [label for label in shown if label.textFormat() != Qt.TextFormat.PlainText]
    assert [label.objectName() for label in rendered] == [], "outside text renders as markup"
    replies = window.chat_dock.view.bubbles()[-1].findChildren(QLabel, "bubbleText")
    assert replies and all(label.property(SAFE_RICH_TEXT) for label in replies)
    assert "Try this: <b>bold</b> <img src=file:///x.png> <username>" in _seen(replies[0])
