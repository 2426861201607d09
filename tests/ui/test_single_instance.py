"""One FlowPilot per data folder: the lock, the hand-over channel, stale locks left by killed
processes, and the app entry refusing or handing over while another instance runs."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import QLockFile
from PySide6.QtNetwork import QLocalServer

from ui import single_instance
from ui.single_instance import (
    EXIT_IN_USE,
    LOCK_FILENAME,
    InstanceGuard,
    RunningInstance,
    acquire,
    channel_name,
    claim_data_folder,
    encode_message,
    parse_message,
)

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture
def guards(qapp) -> Iterator[list[InstanceGuard]]:
    """Guards a test acquires, released at the end even if it fails."""
    held: list[InstanceGuard] = []
    yield held
    for guard in held:
        guard.release()


def _acquire(folder: Path, guards: list[InstanceGuard]) -> InstanceGuard:
    found = acquire(folder)
    assert isinstance(found, InstanceGuard), f"expected the guard, got {found!r}"
    guards.append(found)
    return found


SENDER = textwrap.dedent(
    """
    import json, sys
    from pathlib import Path
    from PySide6.QtCore import QCoreApplication
    from ui.single_instance import RunningInstance
    app = QCoreApplication([])
    request = json.loads(sys.stdin.read())
    print(RunningInstance(Path(request["folder"]), None).send(request["args"]))
    """
)


def _send_from_process(folder: Path, args: list[str]) -> subprocess.Popen[str]:
    """A second start's send() in its own process, as in the app: in-process, a blocking Qt
    wait holds the GIL and the server (on this thread) could not answer."""
    sender = subprocess.Popen(
        [sys.executable, "-c", SENDER],
        cwd=REPO,
        env={**os.environ, "QT_QPA_PLATFORM": "offscreen"},
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert sender.stdin is not None
    sender.stdin.write(json.dumps({"folder": str(folder), "args": args}))
    sender.stdin.close()
    return sender


def _answer(qtbot, sender: subprocess.Popen[str]) -> str:
    """What the sender printed (True/False), spinning Qt's loop so the server can answer."""
    qtbot.waitUntil(lambda: sender.poll() is not None, timeout=10_000)
    assert sender.stdout is not None
    return sender.stdout.read().strip()


# ---- In-process


def test_second_acquire_gets_the_running_instance_and_hands_over(qtbot, tmp_path, guards) -> None:
    first = _acquire(tmp_path, guards)
    assert first.listening and (tmp_path / LOCK_FILENAME).exists()

    second = acquire(tmp_path)
    assert isinstance(second, RunningInstance)
    assert second.owner is not None and second.owner.pid == os.getpid()
    assert second.name == first.name == channel_name(tmp_path)

    args = ["--data-dir", str(tmp_path), "flowpilot://session/42?ü"]
    with qtbot.waitSignal(first.sig_message_received, timeout=10_000) as blocker:
        sender = _send_from_process(tmp_path, args)
    assert blocker.args == [args]
    assert _answer(qtbot, sender) == "True"


def test_two_folders_are_independent_and_a_released_folder_can_be_taken(tmp_path, guards) -> None:
    one, two = tmp_path / "one", tmp_path / "two"
    one.mkdir()
    two.mkdir()
    first = _acquire(one, guards)
    _acquire(two, guards)
    assert channel_name(one) != channel_name(two)
    assert channel_name(one / "x" / "..") == channel_name(one), "the resolved folder counts"
    assert channel_name(one, user="alice") != channel_name(one, user="bob")
    assert len(channel_name(one)) <= 26

    first.release()
    first.release()  # idempotent
    assert not (one / LOCK_FILENAME).exists()
    again = _acquire(one, guards)
    assert again.listening


def test_the_demo_folder_is_another_folder(tmp_path, guards) -> None:
    """--demo runs on <data>/demo, so a demo can run beside the real app."""
    demo = tmp_path / "demo"
    demo.mkdir()
    _acquire(tmp_path, guards)
    _acquire(demo, guards)


def test_a_silent_instance_is_reported_not_reached(qtbot, tmp_path, guards) -> None:
    """The lock is held but nobody answers (hung, or not listening): send() gives up."""
    holder = QLockFile(str(tmp_path / LOCK_FILENAME))
    assert holder.tryLock(0)
    try:
        other = acquire(tmp_path)
        assert isinstance(other, RunningInstance)
        started = time.monotonic()
        assert not other.send(["x"], connect_timeout_ms=300, reply_timeout_ms=300)
        assert time.monotonic() - started < 2

        # Listening but never answering: connected, then no acknowledgement.
        mute = QLocalServer()
        QLocalServer.removeServer(other.name)
        assert mute.listen(other.name)
        try:
            started = time.monotonic()
            assert not other.send(["x"], connect_timeout_ms=300, reply_timeout_ms=300)
            assert time.monotonic() - started < 2
        finally:
            mute.close()
    finally:
        holder.unlock()


def test_claim_refuses_an_automated_run_and_needs_no_console(
    tmp_path, guards, capsys, monkeypatch
) -> None:
    _acquire(tmp_path, guards)
    assert claim_data_folder(tmp_path, ["--smoke"], automated=True) == EXIT_IN_USE
    err = capsys.readouterr().err
    assert f"the data folder {tmp_path.resolve()} is in use by another FlowPilot" in err

    monkeypatch.setattr(sys, "stdout", None)  # a windowed Windows build
    monkeypatch.setattr(sys, "stderr", None)
    assert claim_data_folder(tmp_path, ["--smoke"], automated=True) == EXIT_IN_USE


def test_claim_reports_an_instance_that_does_not_answer(tmp_path, capsys, monkeypatch) -> None:
    monkeypatch.setattr(single_instance, "CONNECT_TIMEOUT_MS", 200)
    monkeypatch.setattr(single_instance, "REPLY_TIMEOUT_MS", 200)
    holder = QLockFile(str(tmp_path / LOCK_FILENAME))
    assert holder.tryLock(0)
    try:
        assert claim_data_folder(tmp_path, [], automated=False) == EXIT_IN_USE
    finally:
        holder.unlock()
    assert "does not answer" in capsys.readouterr().err


def test_malformed_messages_are_refused() -> None:
    assert parse_message(b'{"args": ["a", "b"]}') == (["a", "b"], None)
    assert parse_message(encode_message(["a"], 12.5).strip()) == (["a"], 12.5)
    for line in (
        b"",
        b"not json",
        b"[]",
        b'{"args": "a"}',
        b'{"args": [1]}',
        b'{"args": [], "expires": "soon"}',
        b"\xff",
    ):
        assert parse_message(line) is None


def test_an_oversized_or_malformed_message_is_answered_no(qtbot, tmp_path, guards) -> None:
    first = _acquire(tmp_path, guards)
    received: list[list[str]] = []
    first.sig_message_received.connect(received.append)
    huge = ["x" * (single_instance.MAX_MESSAGE_BYTES + 10)]
    assert _answer(qtbot, _send_from_process(tmp_path, huge)) == "False"
    assert received == []
    assert _answer(qtbot, _send_from_process(tmp_path, ["fine"])) == "True"
    assert received == [["fine"]]


# ---- Stale locks


def test_a_lock_left_by_a_killed_process_does_not_block(tmp_path, guards) -> None:
    """A process that holds the folder is killed (no clean-up at all): its lock file and its
    socket stay behind, and the next start still gets the folder and listens."""
    code = textwrap.dedent(
        """
        import sys, time
        from pathlib import Path
        from PySide6.QtCore import QCoreApplication
        from ui.single_instance import InstanceGuard, acquire
        app = QCoreApplication([])
        guard = acquire(Path(sys.argv[1]))
        print("held" if isinstance(guard, InstanceGuard) and guard.listening else "no", flush=True)
        time.sleep(60)
        """
    )
    child = subprocess.Popen(
        [sys.executable, "-c", code, str(tmp_path)],
        cwd=REPO,
        env={**os.environ, "QT_QPA_PLATFORM": "offscreen"},
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert child.stdout is not None
        assert child.stdout.readline().strip() == "held"
        assert isinstance(acquire(tmp_path), RunningInstance), "held while it lives"
    finally:
        child.kill()
        child.wait(10)
    assert (tmp_path / LOCK_FILENAME).exists(), "a killed process leaves its lock file"
    guard = _acquire(tmp_path, guards)
    assert guard.listening


def test_a_lock_file_naming_a_dead_pid_does_not_block(tmp_path, guards) -> None:
    done = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], **_text())
    dead_pid = int(done.stdout)
    from PySide6.QtCore import QSysInfo

    (tmp_path / LOCK_FILENAME).write_text(
        f"{dead_pid}\npython3\n{QSysInfo.machineHostName()}\n"
        f"{QSysInfo.machineUniqueId().data().decode()}\n{QSysInfo.bootUniqueId().data().decode()}\n"
    )
    _acquire(tmp_path, guards)


def test_an_empty_lock_file_does_not_block(tmp_path, guards) -> None:
    """A crash between creating the lock file and writing it leaves it empty: QLockFile alone
    would never call that stale (with staleLockTime 0)."""
    (tmp_path / LOCK_FILENAME).write_bytes(b"")
    _acquire(tmp_path, guards)


# ---- Real processes, as the technician starts them


def _text() -> dict[str, object]:
    return {"capture_output": True, "text": True, "check": False, "timeout": 30}


def _app(*args: str) -> list[str]:
    return [sys.executable, "-m", "flowpilot_desktop", *args]


def _wait_for(condition: Callable[[], bool], timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.05)


def test_a_second_start_hands_over_and_automated_runs_refuse(tmp_path: Path) -> None:
    data, other = tmp_path / "data", tmp_path / "other"
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen"}
    log_file = data / "logs" / "flowpilot.log"

    def log_text() -> str:
        return log_file.read_text(encoding="utf-8") if log_file.exists() else ""

    first = subprocess.Popen(
        _app("--data-dir", str(data)),
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    children: list[subprocess.Popen[str]] = [first]
    try:
        _wait_for(lambda: "ready for arguments" in log_text(), 30, "the first instance")

        started = time.monotonic()
        second = subprocess.run(_app("--data-dir", str(data)), env=env, **_text())
        assert second.returncode == 0, second.stderr
        assert time.monotonic() - started < 10
        assert second.stdout.strip() == (
            f"FlowPilot is already running for {data.resolve()}; it was brought to the front."
        )
        _wait_for(lambda: "received arguments" in log_text(), 5, "the hand-over")
        assert f"['--data-dir', '{data}']" in log_text()

        # At the same time: a smoke run on the busy folder, one on another, one on its demo.
        runs = {
            name: subprocess.Popen(
                _app("--smoke", *args),
                env=env,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
            )
            for name, args in (
                ("busy", ("--data-dir", str(data))),
                ("other", ("--data-dir", str(other))),
                ("demo", ("--demo", "--data-dir", str(data))),
            )
        }
        children += runs.values()
        results = {name: (run.wait(30), *run.communicate()) for name, run in runs.items()}

        code, out, err = results["busy"]
        assert code == EXIT_IN_USE
        assert f"the data folder {data.resolve()} is in use by another FlowPilot" in err
        assert out == ""
        for name in ("other", "demo"):
            code, out, err = results[name]
            assert code == 0, f"{name}: {err}"
            assert '"sessions"' in out
        assert first.poll() is None, "the first instance keeps running"

        if hasattr(signal, "SIGSTOP"):  # a hung instance: the second start says so, starts none
            os.kill(first.pid, signal.SIGSTOP)
            try:
                hung = subprocess.run(_app("--data-dir", str(data)), env=env, **_text())
            finally:
                os.kill(first.pid, signal.SIGCONT)
            assert hung.returncode == EXIT_IN_USE
            assert "is already running" in hung.stderr and "does not answer" in hung.stderr
            assert hung.stdout == ""
            _wait_for(lambda: "after their sender gave up" in log_text(), 5, "the late message")
            assert log_text().count("received arguments") == 1, "a late message is not acted on"
    finally:
        for child in children:
            if child.poll() is None:
                child.kill()
            child.wait(10)
        first.communicate()
        QLocalServer.removeServer(channel_name(data))  # the killed instance's socket file
