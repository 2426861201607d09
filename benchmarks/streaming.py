"""Streaming benchmark: a 20,000-token reply at 500 tokens/s into the chat dock.

Reports the longest stall of the GUI event loop (a 5 ms QTimer heartbeat) and the delay from
a delta leaving the local emulator to its text being in the widget. Targets: longest stall
≤ 16 ms, median delay ≤ 30 ms.

    .venv/bin/python benchmarks/streaming.py [--tokens 20000] [--rate 500]
"""

from __future__ import annotations

import argparse
import asyncio
import bisect
import itertools
import multiprocessing
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ.setdefault("QT_API", "pyside6")
ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

HEARTBEAT_MS = 5
TARGET_STALL_MS = 16
TARGET_DELAY_MS = 30


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tokens", type=int, default=20_000)
    parser.add_argument("--rate", type=float, default=500.0, help="tokens per second")
    args = parser.parse_args()

    import keyring
    import qasync
    from PySide6.QtCore import QTimer
    from PySide6.QtWidgets import QApplication

    from flowpilot_desktop.app import build_services
    from flowpilot_desktop.config import AppConfig, ConfigStore
    from flowpilot_desktop.paths import AppPaths
    from tests.fakes_keyring import MemoryKeyring
    from ui.main_window import MainWindow
    from ui.ops import TaskRunner, install_asyncgen_hooks
    from ui.theme import apply_theme

    app = QApplication(sys.argv[:1])
    apply_theme(app)
    memory = MemoryKeyring()
    keyring.set_keyring(memory)
    memory.set_password("FlowPilot Desktop", "anthropic_api_key", "sk-ant-bench")
    words = [f"word{n % 97}" for n in range(args.tokens)]
    # A paragraph break every 60 tokens and a code block now and then, like a real answer.
    chunks = []
    for n, word in enumerate(words):
        if n % 600 == 300:
            chunks.append("\n\n```powershell\n")
        elif n % 600 == 340:
            chunks.append("\n```\n\n")
        elif n % 60 == 59:
            chunks.append(word + ".\n\n")
        else:
            chunks.append(word + " ")
    # The emulator runs in its own process, as a real server would: in this one it would
    # compete with the app for the GIL and the measurement would be of both.
    context = multiprocessing.get_context("spawn")
    commands, answers = context.Queue(), context.Queue()
    server = context.Process(target=_serve_emulator, args=(chunks, args.rate, commands, answers))
    server.start()
    base_url = answers.get(timeout=30)

    with tempfile.TemporaryDirectory(prefix="flowpilot-stream-") as scratch:
        paths = AppPaths.for_data_dir(Path(scratch))
        paths.ensure()
        ConfigStore(paths.config_file).save(AppConfig(anthropic_base_url=base_url))
        services = build_services(paths)
        loop = qasync.QEventLoop(app)
        asyncio.set_event_loop(loop)
        install_asyncgen_hooks(loop)
        window = MainWindow(services, TaskRunner(loop))
        window.resize(1400, 900)
        window.show()

        beats: list[float] = []
        heartbeat = QTimer()
        heartbeat.setInterval(HEARTBEAT_MS)
        heartbeat.timeout.connect(lambda: beats.append(time.monotonic()))
        arrivals: list[tuple[float, int]] = []  # (time, visible characters so far)
        from ui.chat_dock.message_view import MessageBubble

        original_flush = MessageBubble.flush_streamed

        def timed_flush(bubble: MessageBubble) -> None:
            original_flush(bubble)  # the moment the text is in the label
            arrivals.append((time.monotonic(), len(bubble.text)))

        MessageBubble.flush_streamed = timed_flush  # type: ignore[method-assign]

        async def run() -> None:
            created = await services.sessions.create("Benchmark", "1")
            window.bus.publish(created)
            window.sessions_panel.select_session(created.session_id)
            await services.chat.prepare()  # the app warms the SDK up after start-up, too
            await asyncio.sleep(0.2)
            heartbeat.start()
            window.chat_dock.send("stream please", [])
            while window.chat_dock.streaming:
                await asyncio.sleep(0.05)
            heartbeat.stop()
            await services.chat.aclose()

        with loop:
            started = time.monotonic()
            loop.run_until_complete(run())
            elapsed = time.monotonic() - started
        services.close()

    commands.put("report")
    sent = answers.get(timeout=30)
    server.join(10)
    cumulative = []
    total = 0
    for moment, text in sent:
        total += len(text.lstrip("\n") if not cumulative else text)
        cumulative.append((moment, total))
    arrival_counts = [count for _moment, count in arrivals]
    delays = []
    for moment, count in cumulative:
        index = bisect.bisect_left(arrival_counts, count - 2)  # allow for trimmed whitespace
        if index < len(arrivals):
            delays.append((arrivals[index][0] - moment) * 1000)
    gaps = [(later - earlier) * 1000 for earlier, later in itertools.pairwise(beats)]
    stall = max(gaps) - HEARTBEAT_MS if gaps else float("nan")
    worst_at = (beats[gaps.index(max(gaps))] - beats[0]) if gaps else 0.0
    rate = len(sent) / elapsed
    print(f"tokens streamed          : {len(sent)} in {elapsed:.1f} s ({rate:.0f}/s)")
    print(f"heartbeats               : {len(beats)} every {HEARTBEAT_MS} ms")
    print(
        f"longest GUI stall        : {stall:.1f} ms, {worst_at:.2f} s into the stream "
        f"(target <= {TARGET_STALL_MS} ms)"
    )
    p99 = statistics.quantiles(gaps, n=100)[98] - HEARTBEAT_MS
    print(f"stall p99                : {p99:.1f} ms")
    median = statistics.median(delays)
    print(f"delta -> widget, median  : {median:.1f} ms (target <= {TARGET_DELAY_MS} ms)")
    print(f"delta -> widget, p95     : {statistics.quantiles(delays, n=20)[18]:.1f} ms")
    return 0


def _serve_emulator(chunks: list[str], rate: float, commands: object, answers: object) -> None:
    """The emulator's process: serve one scripted reply, then report when each delta left."""
    sys.path.insert(0, str(ROOT))
    from tests.anthropic_emulator import AnthropicEmulator, ScriptedReply

    with AnthropicEmulator() as api:
        api.enqueue(ScriptedReply(chunks=chunks, tokens_per_s=rate))
        answers.put(api.base_url)  # type: ignore[attr-defined]
        commands.get()  # type: ignore[attr-defined]
        answers.put(api.message_requests[0].sent_deltas)  # type: ignore[attr-defined]


if __name__ == "__main__":
    raise SystemExit(main())
