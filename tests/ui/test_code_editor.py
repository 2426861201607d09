"""The code editor as the script surfaces use it: text round trip (non-ASCII too), lexers,
placeholders marked while typing, find and replace by keyboard, read-only; and the
plain-text fallback behind the same interface."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt

import ui.code_editor as code_editor
from ui.code_editor import CodeEditor

SCRIPT = 'Set-Mailbox -Identity "{{mailbox}}" # café\nWrite-Host {{ user }}'


@pytest.fixture(params=["scintilla", "plain"])
def editor(request, qtbot, monkeypatch):
    if request.param == "plain":
        monkeypatch.setattr(code_editor, "ScintillaEdit", None)
    widget = CodeEditor()
    qtbot.addWidget(widget)
    widget.resize(600, 300)
    widget.show()
    qtbot.waitExposed(widget)
    return widget


def test_text_round_trip_and_placeholders(editor) -> None:
    editor.set_language("powershell")
    editor.set_text(SCRIPT)
    assert editor.text() == SCRIPT
    assert [SCRIPT[a:b] for a, b in editor.placeholder_spans()] == ["{{mailbox}}", "{{ user }}"]


def test_scintilla_marks_placeholders_and_colours_comments(qtbot) -> None:
    if code_editor.ScintillaEdit is None:
        pytest.skip("the Scintilla wheel is not installed on this machine")
    widget = CodeEditor()
    qtbot.addWidget(widget)
    widget.set_language("powershell")
    widget.set_text(SCRIPT)
    sci = widget._scintilla
    start = SCRIPT.index("{{mailbox}}")
    assert sci.indicatorValueAt(8, start + 2) == 1 and sci.indicatorValueAt(8, 0) == 0
    comment = len(SCRIPT[: SCRIPT.index("#")].encode())
    assert sci.styleAt(comment) == 1  # PowerShell comment style
    assert widget.backend == "Scintilla"


def test_typing_emits_changes_and_marks_new_placeholders(qtbot, editor) -> None:
    editor.set_text("")
    editor.setFocus()
    with qtbot.waitSignal(editor.sig_changed):
        qtbot.keyClicks(editor.focusProxy(), "echo {{host}}")
    assert editor.text() == "echo {{host}}"
    assert editor.placeholder_spans() == [(5, 13)]


def test_find_and_replace_from_the_keyboard(qtbot, editor) -> None:
    editor.set_text("ping host1\nping host2\n")
    editor.setFocus()
    qtbot.keyClick(editor.focusProxy(), Qt.Key.Key_H, Qt.KeyboardModifier.ControlModifier)
    assert editor.find_bar.isVisible() and editor.replace_edit.isVisible()
    qtbot.keyClicks(editor.find_edit, "ping")
    qtbot.keyClick(editor.find_edit, Qt.Key.Key_Return)
    assert editor.find("host2")
    editor.replace_edit.setText("Test-Connection")
    qtbot.mouseClick(editor.replace_all_button, Qt.MouseButton.LeftButton)
    assert editor.text() == "Test-Connection host1\nTest-Connection host2\n"
    assert not editor.find("nothing-like-this")


def test_read_only(qtbot, editor) -> None:
    editor.set_text("Get-Date")
    editor.set_read_only(True)
    editor.setFocus()
    qtbot.keyClicks(editor.focusProxy(), "xyz")
    assert editor.text() == "Get-Date"
    editor.set_text("Get-Date -Format o")  # the program may still replace the text
    assert editor.text() == "Get-Date -Format o"
    qtbot.keyClicks(editor.focusProxy(), "xyz")
    assert editor.text() == "Get-Date -Format o", "and it stays read-only"


def test_marked_values_follow_the_text(qtbot, editor) -> None:
    editor.set_text('Unlock-ADAccount jdoe; Set-ADUser jdoe -Server "dc1.corp"')
    editor.mark_values(["jdoe", "dc1.corp", ""])
    text = editor.text()
    assert [text[a:b] for a, b in editor.marked_value_spans()] == ["jdoe", "jdoe", "dc1.corp"]
    if code_editor.ScintillaEdit is not None and editor._scintilla is not None:
        sci = editor._scintilla
        assert sci.indicatorValueAt(9, text.index("jdoe") + 1) == 1
        assert sci.indicatorValueAt(9, 0) == 0
    else:
        block = editor._plain.document().firstBlock()
        formats = block.layout().formats()
        assert any(f.start == text.index("jdoe") and f.length == 4 for f in formats)
