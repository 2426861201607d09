"""One code editor for every script surface (GUIDE: a narrow interface over a wide widget).

Over Scintilla (``pyside6-scintilla`` + ``lexilla``): PowerShell, Bash, Batch and Python
lexers, line numbers, a monospace font, indentation with spaces and guides, ``{{param}}``
placeholders marked with an indicator, chosen values (the assistant's proposed parameter
values) marked with another, and find / replace (Ctrl+F, Ctrl+H). Where the binding
can't be imported (no wheel for Intel macOS), the same interface over QPlainTextEdit, with the
placeholders highlighted; ``editor_backend_name()`` says which one runs (the About box shows it).

Layout: ``backend.EditorBackend`` is the handful of methods an editing widget must offer;
``scintilla_backend.ScintillaBackend`` and ``plain_backend.PlainTextBackend`` are the two
implementations; ``editor.default_backend`` picks one once, when the first editor is made, and
``editor.CodeEditor``
is the thin widget callers use. ``ScintillaBackend`` is not re-exported here: importing it is
what fails on machines without the wheel.
"""

from __future__ import annotations

from ui.code_editor.backend import INDENT, LANGUAGES, PLACEHOLDER, EditorBackend
from ui.code_editor.editor import (
    CodeEditor,
    choose_backend,
    default_backend,
    editor_backend_name,
)
from ui.code_editor.plain_backend import PlainTextBackend

__all__ = [
    "INDENT",
    "LANGUAGES",
    "PLACEHOLDER",
    "CodeEditor",
    "EditorBackend",
    "PlainTextBackend",
    "choose_backend",
    "default_backend",
    "editor_backend_name",
]
