"""One FlowPilot per data folder: a second start hands its arguments to the running one.

Two instances on one database posted a customer note twice, so the data folder is locked
(``flowpilot.lock``, a QLockFile) for the life of the app, and the instance holding it listens
on a local channel (QLocalServer) whose name is derived from the folder and the user. A second
start finds the lock taken, sends its arguments over the channel (one JSON line,
``{"args": [...], "expires": …}``, answered by ``{"ok": true}``) and exits; the running instance
comes to the front and opens the ``flowpilot://`` link among them, if any.

On macOS the OS hands a link to the application object instead (a QFileOpenEvent, at launch
and while running): :class:`FlowPilotApplication` takes it, and :class:`LinkInbox` keeps links
until the window can open them.
"""

from __future__ import annotations

import contextlib
import getpass
import hashlib
import json
import logging
import os
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, TextIO

import shiboken6
from PySide6.QtCore import QEvent, QLockFile, QObject, QSysInfo, Qt, QTimer, Signal
from PySide6.QtGui import QFileOpenEvent
from PySide6.QtNetwork import QLocalServer, QLocalSocket
from PySide6.QtWidgets import QApplication

if TYPE_CHECKING:
    from PySide6.QtWidgets import QWidget

log = logging.getLogger(__name__)

LOCK_FILENAME = "flowpilot.lock"
EXIT_IN_USE = 3
"""Exit code of a start that found its data folder held by another FlowPilot."""
CONNECT_TIMEOUT_MS = 2000
REPLY_TIMEOUT_MS = 3000
"""How long a second start waits for the acknowledgement (the running one may be starting)."""
SERVER_READ_TIMEOUT_MS = 5000
MAX_MESSAGE_BYTES = 64 * 1024
MAX_PENDING_LINKS = 5
_ACK = b'{"ok": true}\n'
_NACK = b'{"ok": false}\n'


class SingleInstanceError(Exception):
    """The data folder can't be locked at all (permissions, a full disk): not "in use"."""


def channel_name(data_dir: Path, user: str | None = None) -> str:
    """The local channel of ``data_dir`` for ``user``: short, because a Unix socket path is
    capped (104 bytes on macOS, including the temp folder) and Windows pipes share one
    namespace across users (hence the user in the hash)."""
    folder = os.path.normcase(str(Path(data_dir).expanduser().resolve()))
    owner = user if user is not None else _user_name()
    digest = hashlib.sha1(f"{owner}\0{folder}".encode(), usedforsecurity=False).hexdigest()
    return f"flowpilot-{digest[:16]}"


@dataclass(frozen=True)
class LockOwner:
    """Who holds a data folder's lock, as its lock file says."""

    pid: int
    hostname: str
    appname: str

    @property
    def on_this_host(self) -> bool:
        return not self.hostname or self.hostname == QSysInfo.machineHostName()

    def is_gone(self) -> bool:
        """True only when the owner certainly died (a dead PID on this host); QLockFile already
        checks this in tryLock, this is the belt to its braces. Windows is left to QLockFile
        (``os.kill`` there would terminate, not probe)."""
        if not self.on_this_host or os.name != "posix":
            return False
        try:
            os.kill(self.pid, 0)
        except ProcessLookupError:
            return True
        except OSError:  # EPERM: alive, another user's
            return False
        return False

    def describe(self) -> str:
        where = "" if self.on_this_host else f" on {self.hostname}"
        return f"process {self.pid}{where}"


class InstanceGuard(QObject):
    """Held by the instance that owns a data folder: the lock plus the channel's server."""

    sig_message_received = Signal(list)
    """A second start on this data folder sent its arguments (a list of str)."""

    def __init__(self, data_dir: Path, lock: QLockFile, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.data_dir = data_dir
        self.name = channel_name(data_dir)
        self._lock: QLockFile | None = lock
        self._server: QLocalServer | None = QLocalServer(self)
        self._server.setSocketOptions(QLocalServer.SocketOption.UserAccessOption)
        self._server.newConnection.connect(self._accept)
        # Only the lock holder may clear a name a killed instance left behind (a Unix socket
        # file stays in the temp folder and would make listen() fail).
        QLocalServer.removeServer(self.name)
        if not self._server.listen(self.name):
            log.warning(
                "cannot listen on %s (%s): a second start won't reach this instance",
                self.name,
                self._server.errorString(),
            )

    @property
    def listening(self) -> bool:
        return self._server is not None and self._server.isListening()

    def attach(
        self, window: QWidget, on_arguments: Callable[[list[str]], object] | None = None
    ) -> None:
        """On every message: log it, bring ``window`` to the front, then pass the arguments to
        ``on_arguments`` (the app opens the link among them)."""

        def received(args: list[str]) -> None:
            log.info("received arguments from a second start: %s", args)
            if not shiboken6.isValid(window):
                return
            bring_to_front(window)
            if on_arguments is not None:
                on_arguments(args)

        self.sig_message_received.connect(received)
        log.info("ready for arguments from a second start on %s", self.name)

    def release(self) -> None:
        """Stop listening and unlock the folder (idempotent; the app calls it on the way out,
        since it leaves with os._exit and no destructor would run)."""
        if self._server is not None:
            if shiboken6.isValid(self._server):
                self._server.close()
            self._server = None
        if self._lock is not None:
            self._lock.unlock()
            self._lock = None

    def _accept(self) -> None:
        server = self._server
        while server is not None and server.hasPendingConnections():
            socket = server.nextPendingConnection()
            if socket is None:
                break
            _Conversation(socket, self.sig_message_received.emit)


class LinkInbox(QObject):
    """Links handed to this instance (its command line, a second start, the OS), kept until a
    handler can open them: the window, once its session list is loaded. Only the newest few
    wait; a flood of links never piles up."""

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._pending: list[str] = []
        self._handler: Callable[[str], object] | None = None

    @property
    def pending(self) -> list[str]:
        return list(self._pending)

    def receive(self, link: str) -> None:
        if self._handler is not None:
            self._handler(link)
            return
        self._pending = [*self._pending, link][-MAX_PENDING_LINKS:]

    def set_handler(self, handler: Callable[[str], object]) -> None:
        """From now on links go to ``handler``; those that waited go first, in order."""
        self._handler = handler
        waiting, self._pending = self._pending, []
        for link in waiting:
            handler(link)

    def take_file_open(self, event: QEvent) -> bool:
        """A QFileOpenEvent (how macOS passes a ``flowpilot://`` link) goes in; True if taken."""
        if event.type() != QEvent.Type.FileOpen or not isinstance(event, QFileOpenEvent):
            return False
        url = event.url()
        link = url.toString() if url.isValid() and not url.isLocalFile() else event.file()
        log.info("the system handed over a link: %s", link[:200])
        self.receive(link)
        return True


class FlowPilotApplication(QApplication):
    """The application object, with the links the OS hands it (macOS) in :attr:`links`."""

    def __init__(self, argv: list[str]) -> None:
        self.links = LinkInbox()  # made first: events arrive inside QApplication's __init__
        super().__init__(argv)
        self.links.setParent(self)

    def event(self, event: QEvent) -> bool:
        if self.links.take_file_open(event):
            return True
        return super().event(event)


class _Conversation(QObject):
    """One second start talking to the server: read one line, answer, hang up. Reads only
    on readyRead, so the GUI thread never waits on a slow or silent client. A child of its
    socket, so it lives exactly as long as the connection."""

    def __init__(self, socket: QLocalSocket, deliver: Callable[[list[str]], None]) -> None:
        super().__init__(socket)
        self._socket = socket
        self._deliver = deliver
        self._buffer = bytearray()
        self._done = False
        socket.readyRead.connect(self._read)
        socket.disconnected.connect(socket.deleteLater)
        QTimer.singleShot(SERVER_READ_TIMEOUT_MS, socket, socket.abort)
        if socket.bytesAvailable():
            self._read()

    def _read(self) -> None:
        if self._done:
            return
        self._buffer += self._socket.readAll().data()
        end = self._buffer.find(b"\n")
        if end > MAX_MESSAGE_BYTES or (end < 0 and len(self._buffer) > MAX_MESSAGE_BYTES):
            log.warning("dropped an oversized message on the instance channel")
            self._finish(_NACK)
            return
        if end < 0:
            return
        message = parse_message(bytes(self._buffer[:end]))
        if message is None:
            log.warning("dropped a malformed message on the instance channel")
            self._finish(_NACK)
            return
        args, expires = message
        if expires is not None and time.time() > expires:
            # The sender gave up (this instance hung) and told the technician so: acting now
            # would surprise them.
            log.info("dropped arguments that arrived after their sender gave up: %s", args)
            self._finish(_NACK)
            return
        self._finish(_ACK)
        self._deliver(args)

    def _finish(self, reply: bytes) -> None:
        self._done = True
        self._socket.write(reply)
        self._socket.flush()
        self._socket.disconnectFromServer()  # after the reply is written


class RunningInstance:
    """The instance that holds a data folder, seen from a second start."""

    def __init__(self, data_dir: Path, owner: LockOwner | None) -> None:
        self.data_dir = data_dir
        self.owner = owner
        self.name = channel_name(data_dir)
        self.lock_file = data_dir / LOCK_FILENAME

    def send(
        self,
        args: list[str],
        *,
        connect_timeout_ms: int | None = None,
        reply_timeout_ms: int | None = None,
    ) -> bool:
        """Hand ``args`` over; True once the running instance acknowledged them. Blocks for at
        most the two timeouts: called before any window exists, so nothing else waits."""
        connect_timeout_ms = connect_timeout_ms or CONNECT_TIMEOUT_MS
        reply_timeout_ms = reply_timeout_ms or REPLY_TIMEOUT_MS
        _allow_foreground(self.owner)
        socket = QLocalSocket()
        try:
            if not _connect(socket, self.name, connect_timeout_ms):
                log.info("no answer on %s: %s", self.name, socket.errorString())
                return False
            expires = time.time() + reply_timeout_ms / 1000
            socket.write(encode_message(args, expires))
            socket.flush()
            socket.waitForBytesWritten(reply_timeout_ms)
            reply = _read_line(socket, max(1, int((expires - time.time()) * 1000)))
        finally:
            socket.abort()
        if reply is None:
            log.info("no acknowledgement on %s", self.name)
            return False
        try:
            answer = json.loads(reply)
        except ValueError:
            return False
        return isinstance(answer, dict) and answer.get("ok") is True


def acquire(data_dir: Path) -> InstanceGuard | RunningInstance:
    """Lock ``data_dir`` for this process (an :class:`InstanceGuard`), or, when a live FlowPilot
    holds it, describe that one (a :class:`RunningInstance` to send arguments to).

    A lock left by a killed process never blocks: QLockFile removes one whose PID is gone on
    this host, and an empty or unreadable one (a crash between creating and writing it) is
    removed too. Removal is safe against a live owner: it keeps the file natively locked
    (flock / an open handle), and removeStaleLockFile() then fails.

    Raises SingleInstanceError when the folder can't be locked at all.
    """
    data_dir = Path(data_dir).expanduser().resolve()
    lock = QLockFile(str(data_dir / LOCK_FILENAME))
    lock.setStaleLockTime(0)  # held for the app's whole life: age says nothing
    owner: LockOwner | None = None
    for attempt in range(3):
        if lock.tryLock(0):
            return InstanceGuard(data_dir, lock)
        if lock.error() != QLockFile.LockError.LockFailedError:
            raise SingleInstanceError(
                f"cannot lock {data_dir / LOCK_FILENAME} ({lock.error().name})"
            )
        owner = _lock_owner(lock)
        if (owner is None or owner.is_gone()) and lock.removeStaleLockFile():
            log.info("removed a stale lock file (%s)", owner.describe() if owner else "unreadable")
            continue
        if owner is not None:
            break
        if attempt < 2:  # a starting instance may be writing it right now
            time.sleep(0.05)
    return RunningInstance(data_dir, owner)


def claim_data_folder(data_dir: Path, argv: list[str], *, automated: bool) -> InstanceGuard | int:
    """What ``main()`` does about other instances: the guard to keep, or an exit code.

    A normal start hands ``argv`` to the running instance and exits 0 (or EXIT_IN_USE if it
    doesn't answer: a second instance is never started). ``--smoke``/``--screenshot``
    (``automated``) just refuse, since they were asked to run, not to raise a window.
    """
    try:
        found = acquire(data_dir)
    except SingleInstanceError as error:
        _say(f"FlowPilot cannot lock its data folder: {error}", sys.stderr)
        return EXIT_IN_USE
    if isinstance(found, InstanceGuard):
        return found
    who = f" ({found.owner.describe()})" if found.owner else ""
    if automated:
        _say(f"the data folder {found.data_dir} is in use by another FlowPilot{who}", sys.stderr)
        return EXIT_IN_USE
    if found.send(argv):
        log.info("handed the arguments to the running instance%s", who)
        _say(
            f"FlowPilot is already running for {found.data_dir}; it was brought to the front.",
            sys.stdout,
        )
        return 0
    message = (
        f"FlowPilot is already running for {found.data_dir}{who} but does not answer. "
        "Close it (or end it in the task manager) and start again."
    )
    if found.owner is not None and not found.owner.on_this_host:
        message += f" If it is no longer running there, delete {found.lock_file}."
    log.info("%s", message)  # not a warning: those go to stderr too, and this one is said
    _say(message, sys.stderr)
    _show_warning(message)
    return EXIT_IN_USE


def bring_to_front(window: QWidget) -> None:
    """Un-minimise (keeping maximised/full screen), show, raise and activate ``window``."""
    state = window.windowState()
    if state & Qt.WindowState.WindowMinimized:
        window.setWindowState(state & ~Qt.WindowState.WindowMinimized)
    window.show()
    window.raise_()
    window.activateWindow()


def encode_message(args: list[str], expires: float | None = None) -> bytes:
    """One line: ``{"args": [...], "expires": <epoch s>}``; ``expires`` is when the sender
    stops waiting for the answer (optional)."""
    message: dict[str, object] = {"args": list(args)}
    if expires is not None:
        message["expires"] = round(expires, 3)
    return json.dumps(message, ensure_ascii=True).encode("ascii") + b"\n"


def parse_message(line: bytes) -> tuple[list[str], float | None] | None:
    """The arguments and expiry in one message line, or None if it is malformed."""
    try:
        message = json.loads(line.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        return None
    if not isinstance(message, dict):
        return None
    args, expires = message.get("args"), message.get("expires")
    if not isinstance(args, list) or not all(isinstance(arg, str) for arg in args):
        return None
    if expires is not None and (isinstance(expires, bool) or not isinstance(expires, int | float)):
        return None
    return args, None if expires is None else float(expires)


def _connect(socket: QLocalSocket, name: str, timeout_ms: int) -> bool:
    """Connect, retrying while the instance holding the lock may not be listening yet."""
    deadline = time.monotonic() + timeout_ms / 1000
    while True:
        remaining = max(1, int((deadline - time.monotonic()) * 1000))
        socket.connectToServer(name)
        if socket.waitForConnected(remaining):
            return True
        socket.abort()
        if time.monotonic() >= deadline:
            return False
        time.sleep(0.05)


def _read_line(socket: QLocalSocket, timeout_ms: int) -> bytes | None:
    deadline = time.monotonic() + timeout_ms / 1000
    buffer = bytearray()
    while True:
        buffer += socket.readAll().data()
        end = buffer.find(b"\n")
        if end >= 0:
            return bytes(buffer[:end])
        remaining = int((deadline - time.monotonic()) * 1000)
        if len(buffer) > MAX_MESSAGE_BYTES or remaining <= 0:
            return None
        if not socket.waitForReadyRead(remaining) and not socket.bytesAvailable():
            return None


def _lock_owner(lock: QLockFile) -> LockOwner | None:
    info = lock.getLockInfo()
    if not isinstance(info, tuple) or len(info) != 3:
        return None
    pid, hostname, appname = info
    if not isinstance(pid, int) or pid <= 0:
        return None
    return LockOwner(pid=pid, hostname=str(hostname), appname=str(appname))


def _allow_foreground(owner: LockOwner | None) -> None:
    """Windows only lets the foreground process hand focus on: let the running one take it."""
    if sys.platform != "win32" or owner is None or not owner.on_this_host:
        return
    with contextlib.suppress(Exception):
        import ctypes

        ctypes.windll.user32.AllowSetForegroundWindow(owner.pid)  # type: ignore[attr-defined]


def _show_warning(message: str) -> None:
    """A windowed build has no console: tell the technician in a box (not offscreen, where a
    modal box would wait forever unseen)."""
    from PySide6.QtWidgets import QApplication, QMessageBox

    app = QApplication.instance()
    if not isinstance(app, QApplication) or app.platformName() in ("offscreen", "minimal"):
        return
    QMessageBox.warning(None, "FlowPilot Desktop is already running", message)


def _say(text: str, stream: TextIO | None) -> None:
    """Print if there is somewhere to print to (a windowed Windows build has no stdout)."""
    if stream is None:
        return
    with contextlib.suppress(OSError, ValueError):
        print(text, file=stream, flush=True)


def _user_name() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return os.environ.get("USERNAME", "")
