"""The Script Builder (SPEC §10): a chat specialised for writing one script, and a place to
write it by hand, whose result lands on the session's fix.

An inline builder belongs to one triage session (got or created once per user and session);
its Submit writes the script, language and parameter values onto the active fix — the fix
the builder was opened for, or nothing — bumps state_version and stamps no ``applied_at``
(Apply then offers the NoTemplate choice). Standalone builders live under Scripts, at most
``STANDALONE_CAP`` open per user; their script can become a team template.

Qt-free: the window streams the answer through ``on_text`` and stops it through TurnControl.
"""

from __future__ import annotations

import json
import re
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from sqlalchemy.orm import Session

from flowpilot_desktop.assistant.context import request_inputs
from flowpilot_desktop.assistant.prompts import render_context
from flowpilot_desktop.changes import ChangeKind, SessionChange
from flowpilot_desktop.errors import UserFacingError
from storage.database import Database
from storage.models import SCRIPT_LANGUAGES, ScriptBuilderSession, utcnow
from storage.repositories import fixes
from storage.repositories import script_builder as repository
from storage.repositories import sessions as session_repository
from storage.repositories.script_builder import BuilderNotFoundError
from storage.state_version import bump_state_version

STANDALONE_CAP = 5
MAX_MESSAGE_CHARS = 20_000  # a question to the builder; a log belongs in the main chat
STOPPED = "Stopped — the partial answer is kept."
STANDALONE_CONTEXT = "# Session context\nA standalone script: no ticket or session."

# ```powershell … ``` — the info string names the language (aliases below)
_FENCE = re.compile(r"```[ \t]*([\w+-]*)[^\n]*\n(.*?)(?:```|\Z)", re.DOTALL)
_ALIASES = {
    "ps1": "powershell",
    "pwsh": "powershell",
    "ps": "powershell",
    "sh": "bash",
    "shell": "bash",
    "zsh": "bash",
    "bat": "batch",
    "cmd": "batch",
    "py": "python",
}


class ScriptReplyLike(Protocol):
    """An answer as ChatService.write_script returns it."""

    @property
    def text(self) -> str: ...
    @property
    def failure(self) -> str | None: ...
    @property
    def stopped(self) -> bool: ...


# (scrub scope, conversation as (role, text), context text, on_text, control) -> the answer
WriteScript = Callable[..., Awaitable[ScriptReplyLike]]


class BuilderCapError(UserFacingError):
    """A sixth standalone builder: the message says which ones are open."""


@dataclass(frozen=True)
class ScriptDraft:
    """The script an answer carries: its one fenced block, and the parameter values."""

    script: str
    language: str | None
    parameters: dict[str, str]


@dataclass(frozen=True)
class BuilderMessage:
    role: str  # user | assistant
    content: str
    error: str | None = None


@dataclass(frozen=True)
class BuilderView:
    id: str
    origin: str  # pilot_inline | standalone
    session_id: str | None
    title: str
    messages: tuple[BuilderMessage, ...]
    script: str  # the script as last written (by the assistant or by hand)
    language: str | None
    submitted: bool


@dataclass(frozen=True)
class BuilderTurn:
    view: BuilderView
    draft: ScriptDraft | None  # the script of the answer, if it has one
    failure: str | None = None


@dataclass(frozen=True)
class Submitted:
    change: SessionChange
    fix_id: str


def parse_script_reply(text: str) -> ScriptDraft | None:
    """The first fenced block in a script language (or unlabelled) is the script; a block
    labelled ``parameters`` (or ``json``) holding an object gives the values."""
    script: tuple[str, str | None] | None = None
    parameters: dict[str, str] = {}
    for label, body in _FENCE.findall(text):
        label = _ALIASES.get(label.lower(), label.lower())
        if label in ("parameters", "json"):
            parameters = parameters or _parameters(body)
        elif script is None and (label in SCRIPT_LANGUAGES or not label) and body.strip():
            script = (body.rstrip("\n") + "\n", label or None)
    if script is None:
        return None
    return ScriptDraft(script[0], script[1], parameters)


class ScriptBuilderService:
    def __init__(self, database: Database, user_id: str, write_script: WriteScript) -> None:
        self._database = database
        self._user_id = user_id
        self._write_script = write_script

    async def inline(self, session_id: str) -> BuilderView:
        """The triage session's builder, created on first use (idempotent); a submitted one
        opens again for the next script."""

        def work(s: Session) -> BuilderView:
            try:
                row = repository.get_or_create_inline(s, self._user_id, session_id)
            except BuilderNotFoundError:
                raise UserFacingError("That session is no longer there.") from None
            repository.reopen(row)
            return _view(row)

        return await self._database.run(work)

    async def standalone(self) -> list[BuilderView]:
        """The open standalone builders, oldest first (inline ones never show here)."""
        return await self._database.run(
            lambda s: [_view(row) for row in repository.open_standalone(s, self._user_id)]
        )

    async def new_standalone(self) -> BuilderView:
        """A new standalone builder; refused (BuilderCapError) when ``STANDALONE_CAP`` are open."""

        def work(s: Session) -> BuilderView:
            opened = repository.open_standalone(s, self._user_id)
            if len(opened) >= STANDALONE_CAP:
                names = ", ".join(f"“{_title(row)}”" for row in opened)
                raise BuilderCapError(
                    f"{STANDALONE_CAP} scripts are open in the builder already ({names}). "
                    "Close one of them first."
                )
            return _view(repository.create_standalone(s, self._user_id))

        return await self._database.run(work)

    async def close_standalone(self, builder_id: str) -> None:
        def work(s: Session) -> None:
            row = self._row(s, builder_id)
            if row.origin != repository.STANDALONE:
                raise UserFacingError("A session's builder closes with Submit.")
            repository.close(row)

        await self._database.run(work)

    async def save_script(self, builder_id: str, script: str, language: str | None) -> None:
        """Keep what the technician wrote by hand (it survives a restart)."""
        language = _language(language)
        await self._database.run(
            lambda s: repository.set_script(self._row(s, builder_id), script, language)
        )

    async def ask(
        self,
        builder_id: str,
        text: str,
        *,
        on_text: Callable[[str], None] | None = None,
        control: Any = None,
    ) -> BuilderTurn:
        """Send the technician's message and stream the builder's answer; both are saved in
        the builder's row, and the answer's script becomes the builder's script."""
        text = text.strip()
        if not text:
            raise UserFacingError("Say what the script should do first.")
        if len(text) > MAX_MESSAGE_CHARS:
            raise UserFacingError(
                f"That message is {len(text):,} characters; the builder takes up to "
                f"{MAX_MESSAGE_CHARS:,}. Paste logs into the main chat instead."
            )

        def prepare(s: Session) -> tuple[str, list[tuple[str, str]], str]:
            row = self._row(s, builder_id)
            repository.append_messages(row, _message("user", text))
            history = [(m["role"], m["content"]) for m in row.messages if not m.get("error")]
            if row.ai_session_id is None:
                return builder_id, history, STANDALONE_CONTEXT
            context, _messages = request_inputs(s, row.ai_session_id)
            return row.ai_session_id, history, render_context(context)

        scope, history, context_text = await self._database.run(prepare)
        reply = await self._write_script(
            scope, _alternating(history), context_text, on_text=on_text, control=control
        )
        draft = parse_script_reply(reply.text)
        failure = reply.failure or (
            "Stopped — the partial answer is kept." if reply.stopped else None
        )

        def store(s: Session) -> BuilderView:
            row = self._row(s, builder_id)
            repository.append_messages(row, _message("assistant", reply.text, failure))
            if draft is not None and failure is None:
                repository.set_script(row, draft.script, _language(draft.language))
            return _view(row)

        return BuilderTurn(await self._database.run(store), draft, failure)

    async def submit(
        self,
        builder_id: str,
        fix_id: str,
        script: str,
        language: str | None,
        parameters: dict[str, str] | None = None,
    ) -> Submitted:
        """Write the script onto the fix the builder was opened for, if it is still the
        session's active fix; bumps state_version, stamps no ``applied_at``."""
        if not script.strip():
            raise UserFacingError("The script is empty: ask the builder, or write it yourself.")
        language = _language(language)

        def work(s: Session) -> Submitted:
            row = self._row(s, builder_id)
            if row.ai_session_id is None:
                raise UserFacingError("A standalone script is saved as a template, not submitted.")
            session_id = row.ai_session_id
            fix = fixes.active_fix(s, session_id)
            if fix is None or fix.id != fix_id:
                raise UserFacingError(
                    "The session's fix changed since the builder opened, so the script was not "
                    "attached. It is still in the builder."
                )
            fix.ai_drafted_script = script
            fix.script_language = language or fix.script_language or "powershell"
            if parameters is not None:
                fix.ai_drafted_parameters = dict(parameters)
            fix.edited_script = None
            repository.set_script(row, script, language)
            repository.close(row)
            bump_state_version(s, session_id)
            summary = session_repository.get_session_summary(s, session_id)
            return Submitted(SessionChange.of(summary, ChangeKind.FIX, ChangeKind.SCRIPTS), fix.id)

        return await self._database.run(work)

    def _row(self, s: Session, builder_id: str) -> ScriptBuilderSession:
        try:
            return repository.get_builder(s, self._user_id, builder_id)
        except BuilderNotFoundError:
            raise UserFacingError("That script builder is no longer there.") from None


def _view(row: ScriptBuilderSession) -> BuilderView:
    return BuilderView(
        id=row.id,
        origin=row.origin,
        session_id=row.ai_session_id,
        title=_title(row),
        messages=tuple(
            BuilderMessage(m.get("role", "user"), m.get("content", ""), m.get("error"))
            for m in row.messages or []
        ),
        script=row.script or "",
        language=row.language,
        submitted=row.submitted_at is not None,
    )


def _title(row: ScriptBuilderSession) -> str:
    """A standalone builder is named by its first request."""
    first = next((m.get("content", "") for m in row.messages or [] if m.get("role") == "user"), "")
    words = " ".join(first.split())
    return (words[:48] + "…" if len(words) > 48 else words) or "New script"


def _message(role: str, content: str, error: str | None = None) -> dict[str, Any]:
    message: dict[str, Any] = {"role": role, "content": content, "at": utcnow().isoformat()}
    if error:
        message["error"] = error
    return message


def _alternating(history: Sequence[tuple[str, str]]) -> list[tuple[str, str]]:
    """Roles alternate, the technician's first (a failed answer is left out of what is sent,
    so two questions in a row are joined)."""
    result: list[tuple[str, str]] = []
    for role, text in history:
        if not text.strip():
            continue
        if result and result[-1][0] == role:
            result[-1] = (role, result[-1][1] + "\n\n" + text)
        else:
            result.append((role, text))
    while result and result[0][0] != "user":
        result.pop(0)
    return result


def _language(language: str | None) -> str | None:
    if not language:
        return None
    name = _ALIASES.get(language.lower(), language.lower())
    return name if name in SCRIPT_LANGUAGES else None


def _parameters(body: str) -> dict[str, str]:
    try:
        data = json.loads(body)
    except ValueError:
        return {}
    if not isinstance(data, dict):
        return {}
    return {str(k): "" if v is None else str(v) for k, v in data.items()}
