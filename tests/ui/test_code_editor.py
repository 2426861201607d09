"""The code editor as the script surfaces use it: text round trip (non-ASCII too), lexers,
placeholders marked while typing, find and replace by keyboard, read-only; every test runs
over both backends, and the factory falls back to plain text where Scintilla can't import."""

from __future__ import annotations

import inspect
import sys

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QWidget

import ui.code_editor as code_editor
from ui.code_editor import CodeEditor, EditorBackend, PlainTextBackend, choose_backend

SCRIPT = 'Set-Mailbox -Identity "{{mailbox}}" # café\nWrite-Host {{ user }}'

try:
    from ui.code_editor.scintilla_backend import ScintillaBackend
except ImportError:  # pragma: no cover - machines without the wheel
    ScintillaBackend = None  # type: ignore[assignment,misc]

needs_scintilla = pytest.mark.skipif(
    ScintillaBackend is None, reason="the Scintilla wheel is not installed on this machine"
)
BACKENDS = [
    pytest.param(ScintillaBackend, id="scintilla", marks=needs_scintilla),
    pytest.param(PlainTextBackend, id="plain"),
]


@pytest.fixture(params=BACKENDS)
def editor(request, qtbot):
    widget = CodeEditor(backend=request.param)
    qtbot.addWidget(widget)
    widget.resize(600, 300)
    widget.show()
    qtbot.waitExposed(widget)
    return widget


# ---- The interface and the factory


@pytest.mark.parametrize("backend", BACKENDS)
def test_every_backend_implements_the_whole_interface(backend) -> None:
    assert EditorBackend.__abstractmethods__ >= {"text", "set_text", "widget", "mark_values"}
    assert not inspect.isabstract(backend), backend.__abstractmethods__
    for name in EditorBackend.__abstractmethods__:
        interface, own = getattr(EditorBackend, name), getattr(backend, name)
        assert own is not interface, f"{backend.__name__}.{name} is inherited, not implemented"
        if inspect.isfunction(interface):
            assert list(inspect.signature(own).parameters) == list(
                inspect.signature(interface).parameters
            ), f"{backend.__name__}.{name} takes different arguments"
    assert isinstance(backend.name, str) and backend.name


def test_the_factory_falls_back_when_scintilla_cannot_be_imported(qtbot, monkeypatch) -> None:
    monkeypatch.setitem(sys.modules, "pyside6_scintilla", None)  # `import` raises ImportError
    monkeypatch.delitem(sys.modules, "ui.code_editor.scintilla_backend", raising=False)
    assert choose_backend() is PlainTextBackend
    widget = CodeEditor(backend=choose_backend())
    qtbot.addWidget(widget)
    assert widget.backend == "plain text (Scintilla unavailable)"
    assert widget.focusProxy().objectName() == "codeEditorPlain"


@needs_scintilla
def test_the_factory_picks_scintilla_where_it_imports() -> None:
    assert choose_backend() is ScintillaBackend
    assert code_editor.default_backend() is ScintillaBackend
    assert code_editor.editor_backend_name() == "Scintilla"  # what the About box shows


def test_the_default_editor_runs_the_chosen_backend(qtbot) -> None:
    widget = CodeEditor()
    qtbot.addWidget(widget)
    assert (
        widget.objectName() == "codeEditor" and widget.backend == code_editor.editor_backend_name()
    )
    assert isinstance(widget.focusProxy(), QWidget)
    assert widget.focusProxy().accessibleName() == "Script"


@needs_scintilla
def test_every_language_has_a_lexer_and_colours() -> None:
    from ui.code_editor import scintilla_backend

    assert set(scintilla_backend._LEXERS) == set(code_editor.LANGUAGES)
    assert set(scintilla_backend._STYLE_COLOURS) == set(code_editor.LANGUAGES)


# ---- Behaviour, over both backends


def test_text_round_trip_and_placeholders(editor) -> None:
    editor.set_language("powershell")
    editor.set_text(SCRIPT)
    assert editor.text() == SCRIPT
    assert [SCRIPT[a:b] for a, b in editor.placeholder_spans()] == ["{{mailbox}}", "{{ user }}"]


def test_an_unknown_language_falls_back_to_powershell(editor) -> None:
    editor.set_language("cobol")
    assert editor.language == "powershell"
    editor.set_language("bash")
    assert editor.language == "bash"


@needs_scintilla
def test_scintilla_marks_placeholders_and_colours_comments(qtbot) -> None:
    widget = CodeEditor(backend=ScintillaBackend)
    qtbot.addWidget(widget)
    widget.set_language("powershell")
    widget.set_text(SCRIPT)
    sci = widget.focusProxy()
    assert sci.objectName() == "codeEditorScintilla"
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


def test_set_text_emits_a_change(qtbot, editor) -> None:
    with qtbot.waitSignal(editor.sig_changed, timeout=1000):
        editor.set_text("Get-Date")


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


def test_find_counts_characters_not_bytes_and_wraps(editor) -> None:
    editor.set_text("café café")
    assert editor.find("CAFÉ")
    assert editor.find("café")  # the second one, after the first selection
    assert editor.find("café")  # wraps around to the first
    editor.replace_all("é", "e")
    assert editor.text() == "cafe cafe"


def test_replace_all_is_one_undo_step(qtbot, editor) -> None:
    editor.set_text("a a a")
    assert editor.replace_all("a", "b") == 3
    assert editor.replace_all("zzz", "b") == 0 and editor.replace_all("", "b") == 0
    editor.setFocus()
    qtbot.keyClick(editor.focusProxy(), Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    assert editor.text() == "a a a"


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
    widget = editor.focusProxy()
    if editor.backend == "Scintilla":
        assert widget.indicatorValueAt(9, text.index("jdoe") + 1) == 1
        assert widget.indicatorValueAt(9, 0) == 0
    else:
        formats = widget.document().firstBlock().layout().formats()
        assert any(f.start == text.index("jdoe") and f.length == 4 for f in formats)


@pytest.mark.parametrize("backend", BACKENDS)
def test_replace_all_never_changes_a_read_only_editor(qtbot, backend) -> None:
    """The generated script is read-only: Ctrl+H there must not rewrite it (the plain backend
    used to)."""
    editor = CodeEditor(backend=backend)
    qtbot.addWidget(editor)
    editor.set_text("a a")
    editor.set_read_only(True)
    assert editor.replace_all("a", "b") == 0
    assert editor.text() == "a a"
