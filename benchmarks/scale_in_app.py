"""The in-process half of benchmarks/scale.py: the real window over a big data folder, measured
as a technician uses it (load the list, open long conversations, switch back, type a filter),
with a 5 ms heartbeat on the GUI thread for stalls. Prints one JSON line.

Run in its own process (scale.py does) so its memory holds only what the app holds:

    .venv/bin/python benchmarks/scale_in_app.py DATA_DIR [--opens 5] [--switches 5]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sqlite3
import statistics
import sys
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from benchmarks.app_window import AppUnderTest, close_app, open_app  # noqa: E402

FILTER_TEXT = "intermittent 4"
# words of the conversations (not of any title): found through the messages only
SEARCH_WORDS = ("dsregcmd", "token broker", "cmdkey delete", "outlook")
TYPING_PAUSE_S = 0.12  # a quick typist: the list has this long to settle between keys


@dataclass(frozen=True)
class Conversation:
    """A session with many messages, and the id of its newest message (what its first paint
    must show: ChatMessage carries no session id)."""

    session_id: str
    last_message_id: str
    messages: int


@dataclass(frozen=True)
class Timed:
    """One action: ms until the frame that shows its result, and the longest stall while it
    and what it started ran (with its cause)."""

    ms: float | None
    stall_ms: float
    stall_cause: str


@dataclass(frozen=True)
class Keystroke(Timed):
    list_repainted: bool


@dataclass(frozen=True)
class Searched(Timed):
    hits: int


def newest_conversations(database_file: Path, count: int) -> list[Conversation]:
    """The ``count`` most recently active sessions (the dataset puts the long ones there)."""
    uri = f"file:{database_file}?mode=ro"
    with sqlite3.connect(uri, uri=True) as connection:
        rows = connection.execute(
            """
            SELECT s.id,
                   (SELECT m.id FROM messages m
                     WHERE m.session_id = s.id AND m.deleted_at IS NULL
                     ORDER BY m.created_at DESC LIMIT 1),
                   (SELECT count(*) FROM messages m
                     WHERE m.session_id = s.id AND m.deleted_at IS NULL)
              FROM ai_sessions s
             WHERE s.deleted_at IS NULL
             ORDER BY s.last_activity_at DESC
             LIMIT ?
            """,
            (count,),
        ).fetchall()
    return [Conversation(row[0], row[1], row[2]) for row in rows if row[1] is not None]


class Measurement:
    """The steps, each returning what scale.py prints."""

    def __init__(self, under_test: AppUnderTest, conversations: list[Conversation]) -> None:
        from benchmarks.probes import GcLog, PaintProbe, StallWatch

        self.under_test = under_test
        self.window = under_test.window
        self.panel = self.window.sessions_panel
        self.last_ids = {c.session_id: c.last_message_id for c in conversations}
        self.gc_log = GcLog()
        self.watch = StallWatch(self.gc_log)
        self.list_paints = PaintProbe(self.panel.list_view.viewport())
        self.filter_paints = PaintProbe(self.panel.filter_edit)
        self.chat_paints = PaintProbe(self.window.chat_dock.view.viewport())

    def start(self) -> None:
        self.gc_log.start()
        self.watch.start()

    def stop(self) -> None:
        self.watch.stop()
        self.gc_log.stop()

    def shows(self, session_id: str | None = None) -> bool:
        """The selected session (``session_id``, if given) has its newest message on screen."""
        current = self.window.session_state.current
        if current is None or (session_id is not None and current.id != session_id):
            return False
        bubbles = self.window.chat_dock.view.bubbles()
        message = bubbles[-1].message if bubbles else None
        return message is not None and message.id == self.last_ids.get(current.id)

    async def stall_since(self, started: float) -> Timed:
        """Wait for the window to be idle; the longest stall since ``started``."""
        await self.under_test.idle()
        ended = time.perf_counter()
        await asyncio.sleep(0.02)  # a beat after the end closes the last gap
        stall = self.watch.longest(started, ended)
        return Timed(None, stall.ms, stall.cause())

    async def load_list(self) -> dict[str, Any]:
        """The start-up list load: until the list is painted, then until the session it selects
        (the one last worked on) shows its conversation and everything it started is done."""
        from benchmarks.probes import within

        list_painted = self.list_paints.expect(lambda: self.panel.model.rowCount() > 0)
        chat_painted = self.chat_paints.expect(self.shows)
        started = time.perf_counter()
        count, loaded = await self.under_test.load_sessions()
        list_at = await within(list_painted, 30)
        chat_at = await within(chat_painted, 30)
        whole = await self.stall_since(started)
        # Up to the loop's next beat: the frame's painting (and what ran right after) included.
        list_stall = self.watch.longest(started, self.watch.beat_after(list_at or loaded))
        current = self.window.session_state.current
        return {
            "sessions": count,
            "loaded_ms": (loaded - started) * 1000,
            "list_painted_ms": _ms(started, list_at),
            "list_stall_ms": list_stall.ms,
            "list_stall_cause": list_stall.cause(),
            "selected_messages": len(self.window.chat_dock.view.bubbles()),
            "selected_id": current.id if current else None,
            "selected_painted_ms": _ms(started, chat_at),
            "whole_stall_ms": whole.stall_ms,
            "whole_stall_cause": whole.stall_cause,
        }

    async def background(self, wait_s: float) -> dict[str, Any]:
        """What the window does by itself after the list is up (the SDK warm-up, the outbox,
        the daily backup ~10 s after start): waited for, so later steps are not measured
        against it, and its own longest stall reported."""
        started = time.perf_counter()
        await asyncio.sleep(wait_s)
        timed = await self.stall_since(started)
        backups = sorted(self.under_test.services.paths.backup_dir.glob("*"))
        return {
            "waited_s": time.perf_counter() - started,
            "stall_ms": timed.stall_ms,
            "stall_cause": timed.stall_cause,
            "backups": len(backups),
        }

    async def open_session(self, session_id: str) -> Timed:
        """Select ``session_id`` in the list as a click would; ms to the conversation's first
        frame showing its newest message."""
        from benchmarks.probes import within

        await self.under_test.idle()
        current = self.window.session_state.current
        if current is not None and current.id == session_id:
            return Timed(None, 0.0, "already shown")  # selecting it again changes nothing
        await asyncio.sleep(0.1)
        painted = self.chat_paints.expect(lambda: self.shows(session_id))
        started = time.perf_counter()
        if not self.panel.select_session(session_id):
            raise RuntimeError(f"session {session_id} is not in the list")
        at = await within(painted, 10)
        timed = await self.stall_since(started)
        return Timed(_ms(started, at), timed.stall_ms, timed.stall_cause)

    async def keystroke(self, key: str) -> Keystroke:
        """One key into the filter box: ms until the frame that shows it (the typed text, and
        the list when the key changed which rows match: a key that matches the same rows needs
        no list repaint, and gets none)."""
        from PySide6.QtCore import Qt
        from PySide6.QtTest import QTest

        from benchmarks.probes import within

        await asyncio.sleep(TYPING_PAUSE_S)
        edit_painted = self.filter_paints.expect()
        list_painted = self.list_paints.expect()
        edit = self.panel.filter_edit
        started = time.perf_counter()
        if key == "\b":
            QTest.keyClick(edit, Qt.Key.Key_Backspace)
        else:
            QTest.keyClick(edit, key)
        edit_at = await within(edit_painted, 2.0)
        timed = await self.stall_since(started)
        list_at = list_painted.result() if list_painted.done() else None
        list_painted.cancel()
        shown = max((t for t in (edit_at, list_at) if t is not None), default=None)
        return Keystroke(
            _ms(started, shown), timed.stall_ms, timed.stall_cause, list_at is not None
        )

    async def search(self, text: str) -> Searched:
        """One full-text search, as the filter runs it after a key (on the database thread):
        ms until the answer, and the longest GUI stall meanwhile."""
        started = time.perf_counter()
        hits = await self.under_test.services.sessions.search(text)
        answered = time.perf_counter()
        timed = await self.stall_since(started)
        return Searched(_ms(started, answered), timed.stall_ms, timed.stall_cause, len(hits))


async def measure(
    under_test: AppUnderTest,
    conversations: list[Conversation],
    *,
    opens: int,
    switches: int,
    background_wait_s: float,
    filter_text: str,
) -> dict[str, Any]:
    from benchmarks.probes import peak_rss_mb, rss_mb

    steps = Measurement(under_test, conversations)
    await asyncio.sleep(0.3)  # the empty window's first frames
    steps.start()
    result: dict[str, Any] = {"list": await steps.load_list()}
    result["rss_after_list_mb"] = rss_mb()
    result["background"] = await steps.background(background_wait_s)

    selected = result["list"]["selected_id"]
    unopened = [c.session_id for c in conversations if c.session_id != selected]
    first = [await steps.open_session(session_id) for session_id in unopened[:opens]]
    result["first_open"] = [asdict(t) for t in first]
    sizes = {c.session_id: c.messages for c in conversations}
    result["first_open_messages"] = [sizes[session_id] for session_id in unopened[:opens]]

    pairs = unopened[opens : opens + 2 * switches]
    back = []
    for a, b in zip(pairs[0::2], pairs[1::2], strict=True):
        await steps.open_session(a)
        await steps.open_session(b)
        back.append(await steps.open_session(a))
    result["switch_back"] = [asdict(t) for t in back]

    under_test.window.focus_session_filter()
    keys = [*filter_text, *("\b" * len(filter_text))]
    result["keystrokes"] = [asdict(await steps.keystroke(key)) for key in keys]
    result["filter_text"] = filter_text
    # the full-text search of every prefix typed, and of words only the messages hold
    queries = [filter_text[:n] for n in range(1, len(filter_text) + 1)] + list(SEARCH_WORDS)
    result["search"] = [{"query": q, **asdict(await steps.search(q))} for q in queries]

    for conversation in conversations:
        await steps.open_session(conversation.session_id)
    result["opened_for_memory"] = len(conversations)
    result["rss_after_opening_mb"] = rss_mb()
    result["peak_rss_mb"] = peak_rss_mb()
    steps.stop()
    collections = steps.gc_log.collections
    longest = max(collections, key=lambda c: c.seconds, default=None)
    result["gc"] = {
        "collections": len(collections),
        "full": sum(1 for c in collections if c.generation == 2),
        "longest_ms": longest.seconds * 1000 if longest else 0.0,
        "longest_generation": longest.generation if longest else None,
    }
    return result


def _ms(started: float, at: float | None) -> float | None:
    return None if at is None else (at - started) * 1000


def main() -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("data_dir", type=Path)
    parser.add_argument("--opens", type=int, default=5, help="long sessions opened the first time")
    parser.add_argument("--switches", type=int, default=5, help="A, B, back to A: how many")
    parser.add_argument(
        "--big-sessions", type=int, default=50, help="the newest sessions, opened for memory"
    )
    parser.add_argument(
        "--background-wait",
        type=float,
        default=10.5,
        help="seconds to let the window's own start-up work (daily backup at 10 s) pass",
    )
    parser.add_argument("--filter-text", default=FILTER_TEXT, help="typed, then deleted")
    args = parser.parse_args()

    from flowpilot_desktop.paths import AppPaths

    conversations = newest_conversations(
        AppPaths.for_data_dir(args.data_dir).database_file, args.big_sessions
    )
    under_test = open_app(args.data_dir)

    async def run() -> dict[str, Any]:
        try:
            return await measure(
                under_test,
                conversations,
                opens=args.opens,
                switches=args.switches,
                background_wait_s=args.background_wait,
                filter_text=args.filter_text,
            )
        finally:
            await close_app(under_test)

    with under_test.loop:
        result = under_test.loop.run_until_complete(run())
    under_test.services.close()
    result["messages_per_big_session"] = statistics.median(c.messages for c in conversations)
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
