"""The Sessions dock, driven the way a technician does it: keyboard only."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QLineEdit, QMessageBox

from tests.ui.helpers import activate
from ui.sessions_dock.dialogs import SessionFormDialog
from ui.sessions_dock.model import HIT_ROLE


def _type_and_submit_new_session(
    qtbot, qloop, window, title: str, ticket: str = ""
) -> SessionFormDialog:
    activate(qtbot, window)
    qtbot.keyClick(window, Qt.Key.Key_N, Qt.KeyboardModifier.ControlModifier)
    dialog = _wait_for_dialog(qtbot, window)
    focused = QApplication.focusWidget()
    assert focused is dialog.title_edit, "the title field has focus when the dialog opens"
    qtbot.keyClicks(focused, title)
    qtbot.keyClick(focused, Qt.Key.Key_Tab)
    qtbot.keyClicks(QApplication.focusWidget(), ticket)
    qtbot.keyClick(QApplication.focusWidget(), Qt.Key.Key_Return)
    return dialog


def _wait_for_dialog(qtbot, window) -> SessionFormDialog:
    qtbot.waitUntil(lambda: any(d.isVisible() for d in window.findChildren(SessionFormDialog)))
    dialog = next(d for d in window.findChildren(SessionFormDialog) if d.isVisible())
    activate(qtbot, dialog)
    return dialog


def _prepare(qtbot, make_window):
    window = make_window()
    activate(qtbot, window)
    return window


def test_create_session_with_ticket_by_keyboard(qtbot, qloop, make_window) -> None:
    window = _prepare(qtbot, make_window)
    assert window.sessions_panel.empty_label.isVisible(), "an empty list says how to start"

    _type_and_submit_new_session(qtbot, qloop, window, "Printer offline on floor 2", "#48190")
    qloop.until(lambda: window.sessions_panel.model.rowCount() == 1)

    assert not any(d.isVisible() for d in window.findChildren(SessionFormDialog))
    current = window.current_session()
    assert current is not None and current.title == "Printer offline on floor 2"
    assert current.ticket_ref == "48190"
    assert window.chat_dock.header.title_label.text() == "Printer offline on floor 2"
    assert "Ticket #48190" in window.chat_dock.header.meta_label.text()


def test_bad_ticket_number_is_explained_and_nothing_typed_is_lost(
    qtbot, qloop, make_window
) -> None:
    window = _prepare(qtbot, make_window)
    dialog = _type_and_submit_new_session(qtbot, qloop, window, "VPN drops", "ticket 12")
    qloop.settle()
    assert dialog.isVisible()
    assert dialog.error_label.isVisible() and "not a ticket number" in dialog.error_label.text()
    assert dialog.title_edit.text() == "VPN drops" and dialog.ticket_edit.text() == "ticket 12"
    assert window.sessions_panel.model.rowCount() == 0


def test_ticket_only_session_is_named_after_the_ticket(qtbot, qloop, make_window) -> None:
    window = _prepare(qtbot, make_window)
    _type_and_submit_new_session(qtbot, qloop, window, "", "12345")
    qloop.until(lambda: window.sessions_panel.model.rowCount() == 1)
    assert window.current_session().title == "Ticket #12345"


def test_rename_with_f2(qtbot, qloop, make_window) -> None:
    window = _prepare(qtbot, make_window)
    _type_and_submit_new_session(qtbot, qloop, window, "Old title")
    qloop.until(lambda: window.sessions_panel.model.rowCount() == 1)

    activate(qtbot, window)
    qtbot.keyClick(window.sessions_panel.list_view, Qt.Key.Key_F2)
    dialog = _wait_for_dialog(qtbot, window)
    assert dialog.title_edit.text() == "Old title" and not dialog.ticket_edit.isVisible()
    qtbot.keyClick(dialog.title_edit, Qt.Key.Key_A, Qt.KeyboardModifier.ControlModifier)
    qtbot.keyClicks(dialog.title_edit, "Outlook password prompts")
    qtbot.keyClick(dialog.title_edit, Qt.Key.Key_Return)
    qloop.until(lambda: window.current_session().title == "Outlook password prompts")
    assert window.sessions_panel.visible_titles() == ["Outlook password prompts"]


def test_filter_then_navigate_with_arrows(qtbot, qloop, make_window) -> None:
    window = _prepare(qtbot, make_window)
    for title, ticket in (("Printer offline", "100"), ("VPN drops", "200"), ("Printer jam", "300")):
        _type_and_submit_new_session(qtbot, qloop, window, title, ticket)
        qloop.until(
            lambda t=title: window.current_session() and window.current_session().title == t
        )
    panel = window.sessions_panel
    assert panel.visible_titles() == ["Printer jam", "VPN drops", "Printer offline"]

    activate(qtbot, window)
    qtbot.keyClick(window, Qt.Key.Key_L, Qt.KeyboardModifier.ControlModifier)
    assert QApplication.focusWidget() is panel.filter_edit
    qtbot.keyClicks(panel.filter_edit, "print")
    assert panel.visible_titles() == ["Printer jam", "Printer offline"]
    qtbot.keyClick(panel.filter_edit, Qt.Key.Key_Down)
    assert QApplication.focusWidget() is panel.list_view
    qtbot.keyClick(panel.list_view, Qt.Key.Key_Down)
    assert window.current_session().title == "Printer offline"

    panel.focus_filter()
    qtbot.keyClicks(panel.filter_edit, "#200")
    assert panel.visible_titles() == ["VPN drops"]
    qtbot.keyClicks(panel.filter_edit, "zzz")
    assert panel.visible_titles() == []
    assert panel.empty_label.isVisible() and "No session matches" in panel.empty_label.text()
    qtbot.keyClick(panel.filter_edit, Qt.Key.Key_Escape)
    assert len(panel.visible_titles()) == 3


def test_next_and_previous_session_shortcuts(qtbot, qloop, make_window) -> None:
    window = _prepare(qtbot, make_window)
    for title in ("First", "Second"):
        _type_and_submit_new_session(qtbot, qloop, window, title)
        qloop.until(
            lambda t=title: window.current_session() and window.current_session().title == t
        )
    activate(qtbot, window)
    qtbot.keyClick(window, Qt.Key.Key_PageDown, Qt.KeyboardModifier.ControlModifier)
    assert window.current_session().title == "First"
    qtbot.keyClick(window, Qt.Key.Key_PageUp, Qt.KeyboardModifier.ControlModifier)
    assert window.current_session().title == "Second"


def test_delete_with_confirmation_then_undo(qtbot, qloop, make_window) -> None:
    window = _prepare(qtbot, make_window)
    for title in ("Keep me", "Delete me"):
        _type_and_submit_new_session(qtbot, qloop, window, title)
        qloop.until(
            lambda t=title: window.current_session() and window.current_session().title == t
        )
    assert not window.registry.is_enabled("edit.undo")

    activate(qtbot, window)
    qtbot.keyClick(window.sessions_panel.list_view, Qt.Key.Key_Delete)
    qtbot.waitUntil(lambda: any(b.isVisible() for b in window.findChildren(QMessageBox)))
    box = next(b for b in window.findChildren(QMessageBox) if b.isVisible())
    assert "Delete me" in box.text()
    activate(qtbot, box)
    qtbot.keyClick(QApplication.focusWidget(), Qt.Key.Key_Return)  # the default button: Delete
    qloop.until(lambda: window.sessions_panel.visible_titles() == ["Keep me"])
    assert window.current_session().title == "Keep me", "the next session is selected"
    assert "Deleted" in window.statusBar().currentMessage()

    activate(qtbot, window)
    qtbot.keyClick(
        window.sessions_panel.list_view, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier
    )
    qloop.until(lambda: len(window.sessions_panel.visible_titles()) == 2)
    assert window.current_session().title == "Delete me"


def test_cancelling_the_delete_keeps_the_session(qtbot, qloop, make_window) -> None:
    window = _prepare(qtbot, make_window)
    _type_and_submit_new_session(qtbot, qloop, window, "Stays")
    qloop.until(lambda: window.sessions_panel.model.rowCount() == 1)
    activate(qtbot, window)
    qtbot.keyClick(window.sessions_panel.list_view, Qt.Key.Key_Delete)
    qtbot.waitUntil(lambda: any(b.isVisible() for b in window.findChildren(QMessageBox)))
    box = next(b for b in window.findChildren(QMessageBox) if b.isVisible())
    activate(qtbot, box)
    qtbot.keyClick(QApplication.focusWidget(), Qt.Key.Key_Escape)
    qloop.settle(0.1)
    assert window.sessions_panel.visible_titles() == ["Stays"]


def test_sessions_survive_a_restart(qtbot, qloop, make_window) -> None:
    window = _prepare(qtbot, make_window)
    for title in ("Older", "Newer"):
        _type_and_submit_new_session(qtbot, qloop, window, title)
        qloop.until(
            lambda t=title: window.current_session() and window.current_session().title == t
        )
    window.sessions_panel.select_relative(1)
    assert window.current_session().title == "Older"
    window.close()

    again = make_window()
    assert again.sessions_panel.visible_titles() == ["Newer", "Older"], "last activity first"
    assert again.current_session().title == "Older", "the last selected session is selected again"


def test_filter_box_has_its_own_undo_and_delete(qtbot, qloop, make_window) -> None:
    """Typing in the filter box: Delete and Ctrl+Z edit the text, they don't delete sessions."""
    window = _prepare(qtbot, make_window)
    _type_and_submit_new_session(qtbot, qloop, window, "Printer")
    qloop.until(lambda: window.sessions_panel.model.rowCount() == 1)
    edit: QLineEdit = window.sessions_panel.filter_edit
    window.sessions_panel.focus_filter()
    qtbot.keyClicks(edit, "pr")
    qtbot.keyClick(edit, Qt.Key.Key_Home)
    qtbot.keyClick(edit, Qt.Key.Key_Delete)
    assert edit.text() == "r"
    qloop.settle()
    assert not any(b.isVisible() for b in window.findChildren(QMessageBox))


# ---- Years of history: the filter is cheap and never opens another session


def test_typing_a_filter_never_opens_another_session(qtbot, qloop, make_window) -> None:
    window = _prepare(qtbot, make_window)
    for title in ("Printer offline", "VPN drops", "Printer jam"):
        _type_and_submit_new_session(qtbot, qloop, window, title)
        qloop.until(
            lambda t=title: window.current_session() and window.current_session().title == t
        )
    panel = window.sessions_panel
    panel.select_session(next(s.id for s in _summaries(panel) if s.title == "VPN drops"))
    opened: list[object] = []
    window.session_state.sig_current_session_changed.connect(opened.append)
    activate(qtbot, window)
    qtbot.keyClick(window, Qt.Key.Key_L, Qt.KeyboardModifier.ControlModifier)
    qtbot.keyClicks(panel.filter_edit, "printer")
    assert panel.visible_titles() == ["Printer jam", "Printer offline"]
    assert opened == [] and window.current_session().title == "VPN drops", "still shown"
    assert window.chat_dock.header.title_label.text() == "VPN drops"
    qtbot.keyClicks(panel.filter_edit, " zzz")
    assert panel.visible_titles() == [] and opened == []
    for _ in " zzz":
        qtbot.keyClick(panel.filter_edit, Qt.Key.Key_Backspace)
    qtbot.keyClick(panel.filter_edit, Qt.Key.Key_Return)  # Enter: the first match
    assert window.current_session().title == "Printer jam"
    assert QApplication.focusWidget() is panel.list_view

    panel.focus_filter()
    qtbot.keyClick(panel.filter_edit, Qt.Key.Key_Escape)  # all sessions again
    assert panel.current_summary().title == "Printer jam", "the shown session stays selected"


def _summaries(panel):
    return [panel.model.summary_at(row) for row in range(panel.model.rowCount())]


def test_the_filter_reads_each_rows_text_once_not_per_keystroke(qtbot) -> None:
    """At 10,000 sessions a keystroke must not go through data() for every row."""
    from datetime import UTC, datetime, timedelta

    from flowpilot_desktop.sessions import SessionSummary
    from ui.sessions_dock.model import SessionFilterModel, SessionListModel

    class CountingModel(SessionListModel):
        calls = 0

        def data(self, index, role=Qt.ItemDataRole.DisplayRole):
            CountingModel.calls += 1
            return super().data(index, role)

    now = datetime.now(UTC)
    model = CountingModel()
    model.set_sessions(
        [
            SessionSummary(
                f"id{n}",
                f"Session {n}: issue #{n % 97}",
                str(40000 + n),
                "active",
                now - timedelta(minutes=n),
                0,
            )
            for n in range(10_000)
        ]
    )
    proxy = SessionFilterModel(model)
    CountingModel.calls = 0
    for text in ("s", "se", "session 12", "#40012", "active 99"):
        proxy.set_filter_text(text)
    assert CountingModel.calls == 0
    proxy.set_filter_text("#4001")
    assert proxy.rowCount() == 11  # tickets 40010 … 40019, and session 4001 (ticket 44001)


def test_ranked_hits_never_make_a_keystroke_sort_every_row(qtbot) -> None:
    """After a search answered (its rows sorted by rank), the next key filters 10,000 rows:
    they must not be sorted through lessThan in Python (that cost 340 ms a key)."""
    from datetime import UTC, datetime, timedelta

    from flowpilot_desktop.sessions import SearchHit, SessionSummary
    from ui.sessions_dock.model import SessionFilterModel, SessionListModel

    class CountingProxy(SessionFilterModel):
        comparisons = 0

        def lessThan(self, left, right):
            CountingProxy.comparisons += 1
            return super().lessThan(left, right)

    now = datetime.now(UTC)
    model = SessionListModel()
    model.set_sessions(
        [
            SessionSummary(
                f"id{n}",
                f"Session {n}: intermittent",
                None,
                "active",
                now - timedelta(minutes=n),
                0,
            )
            for n in range(10_000)
        ]
    )
    proxy = CountingProxy(model)
    proxy.set_filter_text("inter")
    hits = [SearchHit(f"id{n}", "title", None, "", float(n - 200)) for n in reversed(range(200))]
    assert proxy.set_search_hits("inter", hits)
    assert proxy.rowCount() == 200
    assert proxy.index(0, 0).data() == "Session 199: intermittent", "best rank first"
    CountingProxy.comparisons = 0
    proxy.set_filter_text("intermittent")
    assert proxy.rowCount() == 10_000
    assert CountingProxy.comparisons < 1000


def _seed_for_search(window) -> dict[str, str]:
    """Three sessions written straight through the services (the index follows)."""
    from storage.repositories import facts, messages

    database = window.services.database
    ids: dict[str, str] = {}
    for title in ("Printer offline", "VPN drops", "Mailbox missing"):
        done: list[object] = []
        window.runner.run(window.services.sessions.create(title), on_success=done.append)
        while not done:
            QApplication.processEvents()
        ids[title] = done[0].session_id
    database.run_sync(
        lambda s: facts.add_fact(
            s, ids["VPN drops"], "FortiClient 7.2 on the laptop", "engineer_note"
        )
    )
    for n in range(30):
        database.run_sync(
            lambda s, n=n: messages.add_message(
                s, ids["Mailbox missing"], "user", content=f"message {n} about nothing much"
            )
        )
    ids["message"] = database.run_sync(
        lambda s: (
            messages.add_message(
                s,
                ids["Mailbox missing"],
                "user",
                content="the autodiscover record points at the old host",
            ).id
        )
    )
    for n in range(30, 60):
        database.run_sync(
            lambda s, n=n: messages.add_message(
                s, ids["Mailbox missing"], "user", content=f"message {n} about nothing much"
            )
        )
    return ids


def test_search_finds_facts_and_messages_ranked_with_a_snippet(qtbot, qloop, make_window) -> None:
    window = _prepare(qtbot, make_window)
    ids = _seed_for_search(window)
    window.load_sessions()
    panel = window.sessions_panel
    qloop.until(lambda: len(panel.visible_titles()) == 3)
    activate(qtbot, window)
    qtbot.keyClick(window, Qt.Key.Key_L, Qt.KeyboardModifier.ControlModifier)
    qtbot.keyClicks(panel.filter_edit, "forticlient")
    assert panel.visible_titles() == [], "the title filter alone knows nothing of facts"
    qloop.until(lambda: panel.visible_titles() == ["VPN drops"])  # the full text answers
    hit = panel.proxy.index(0, 0).data(HIT_ROLE)
    assert hit.source == "fact" and "FortiClient" in hit.snippet

    # Enter on a hit in a message opens the session at that message (an older one)
    qtbot.keyClick(panel.filter_edit, Qt.Key.Key_Escape)
    qtbot.keyClicks(panel.filter_edit, "autodiscover")
    qloop.until(lambda: panel.visible_titles() == ["Mailbox missing"])
    qtbot.keyClick(panel.filter_edit, Qt.Key.Key_Return)
    assert QApplication.focusWidget() is panel.list_view
    qtbot.keyClick(panel.list_view, Qt.Key.Key_Return)
    view = window.chat_dock.view
    qloop.until(
        lambda: (
            QApplication.focusWidget() is not None
            and getattr(QApplication.focusWidget(), "message", None) is not None
            and QApplication.focusWidget().message.id == ids["message"]
        )
    )
    bubble = QApplication.focusWidget()
    assert bubble.visibleRegion().isEmpty() is False, "scrolled into view"
    assert view.verticalScrollBar().value() < view.verticalScrollBar().maximum()


def test_search_ranks_a_title_hit_first_and_follows_a_rename(qtbot, qloop, make_window) -> None:
    window = _prepare(qtbot, make_window)
    ids = _seed_for_search(window)
    from storage.repositories import messages

    window.services.database.run_sync(
        lambda s: messages.add_message(s, ids["VPN drops"], "user", content="the printer works")
    )
    window.load_sessions()
    panel = window.sessions_panel
    qloop.until(lambda: len(panel.visible_titles()) == 3)
    panel.focus_filter()
    qtbot.keyClicks(panel.filter_edit, "printer")
    qloop.until(lambda: panel.visible_titles() == ["Printer offline", "VPN drops"])
    done: list[object] = []
    window.runner.run(
        window.services.sessions.rename(ids["VPN drops"], "Tunnel drops"), on_success=done.append
    )
    qloop.until(lambda: done)
    panel.filter_edit.clear()
    qtbot.keyClicks(panel.filter_edit, "tunnel")
    qloop.until(lambda: panel.visible_titles() == ["Tunnel drops"])


def test_a_status_word_filters_and_does_not_search(qtbot, qloop, make_window) -> None:
    window = _prepare(qtbot, make_window)
    ids = _seed_for_search(window)
    from storage.repositories import messages

    window.services.database.run_sync(
        lambda s: messages.add_message(s, ids["VPN drops"], "user", content="it was paused twice")
    )
    from storage.models import AiSession

    def pause(s) -> None:
        s.get(AiSession, ids["Printer offline"]).status = "paused"

    window.services.database.run_sync(pause)
    window.load_sessions()
    panel = window.sessions_panel
    qloop.until(lambda: len(panel.visible_titles()) == 3)
    requested: list[str] = []
    panel.sig_search_requested.connect(requested.append)
    panel.focus_filter()
    qtbot.keyClicks(panel.filter_edit, "paused")
    qloop.settle(0.4)
    assert requested == [] and panel.visible_titles() == ["Printer offline"]
