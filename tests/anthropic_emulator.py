"""A local emulator of the Anthropic Messages API for tests: the real SDK talks to it over HTTP.

It follows the wire format the SDK 2.x expects (shared/reference/platform-notes.md §1.5–1.7):
``event:`` lines, the exact SSE event order, cumulative usage with cache counters billed the
documented way (tests/prompt_cache.py: breakpoints, the 20-block lookback, minimum lengths), a
``request-id`` header, and error bodies ``{"type": "error", "error": {...}}``. Replies are
scripted per test; faults on demand (429/529 with ``retry-after-ms``, 500, an ``error`` event
mid-stream, a dropped connection, slow tokens, a stream that goes silent with the connection
open). Every request is recorded.

``GET /v1/models`` lists ``models`` (newest first) in the documented page format: ``data`` of
``{"type": "model", "id", "display_name", "created_at"}`` (plus ``lifecycle``,
``deprecated_at`` and ``retires_at``, which the SDK 2.x's ``ModelInfo`` expects), ``has_more``,
``first_id``, ``last_id``, paged with ``limit`` (1–1000, default 20) and ``after_id`` or
``before_id``.
"""

from __future__ import annotations

import json
import threading
import time
import uuid
from collections import deque
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler
from typing import Any
from urllib.parse import parse_qs, urlsplit

from tests.emulator_server import EmulatorServer
from tests.prompt_cache import PromptCache, TooManyBreakpoints

BAD_KEY = "sk-ant-bad-key"
NO_PERMISSION_KEY = "sk-ant-no-permission"
_ERROR_TYPES = {
    400: "invalid_request_error",
    401: "authentication_error",
    403: "permission_error",
    404: "not_found_error",
    429: "rate_limit_error",
    500: "api_error",
    529: "overloaded_error",
}


@dataclass(frozen=True)
class ModelEntry:
    """One model as ``GET /v1/models`` lists it."""

    id: str
    display_name: str
    created_at: str  # RFC 3339, as the API sends it
    lifecycle: str = "active"  # active | deprecated | retired
    deprecated_at: str | None = None  # set for deprecated and retired models
    retires_at: str | None = None

    def to_json(self) -> dict[str, str | None]:
        return {
            "type": "model",
            "id": self.id,
            "display_name": self.display_name,
            "created_at": self.created_at,
            "lifecycle": self.lifecycle,
            "deprecated_at": self.deprecated_at,
            "retires_at": self.retires_at,
        }


# Newest first, as the API lists them; includes the app's default tiers.
DEFAULT_MODELS = (
    ModelEntry("claude-opus-5-5", "Claude Opus 5.5", "2026-05-14T00:00:00Z"),
    ModelEntry("claude-sonnet-5-5", "Claude Sonnet 5.5", "2026-05-14T00:00:00Z"),
    ModelEntry("claude-haiku-5-5", "Claude Haiku 5.5", "2026-04-02T00:00:00Z"),
    ModelEntry("claude-opus-4-5", "Claude Opus 4.5", "2025-11-24T00:00:00Z"),
    ModelEntry("claude-sonnet-4-5", "Claude Sonnet 4.5", "2025-09-29T00:00:00Z"),
    ModelEntry("claude-haiku-4-5", "Claude Haiku 4.5", "2025-10-15T00:00:00Z"),
    ModelEntry("claude-opus-4-1", "Claude Opus 4.1", "2025-08-05T00:00:00Z"),
)
MODELS_DEFAULT_LIMIT = 20
MODELS_MAX_LIMIT = 1000


@dataclass
class ScriptedReply:
    """What the emulator answers to one request."""

    text: str = "OK"
    chunks: list[str] | None = None  # the text deltas; default: the text split into words
    status: int = 200  # anything else answers with an error body
    retry_after_ms: int | None = None
    error_event_after: int | None = None  # send `event: error` after this many deltas
    error_event_type: str = "overloaded_error"
    drop_after: int | None = None  # close the connection after this many deltas
    # after this many deltas send nothing for stall_s, the connection kept open (a stalled
    # upstream), then go on with the rest of the reply
    stall_after: int | None = None
    stall_s: float = 5.0
    delay_s: float = 0.0  # pause before each delta
    tokens_per_s: float | None = None  # pace deltas on a fixed schedule (for benchmarks)
    stop_reason: str = "end_turn"

    def deltas(self) -> list[str]:
        if self.chunks is not None:
            return list(self.chunks)
        words = self.text.split(" ")
        return [w + (" " if i < len(words) - 1 else "") for i, w in enumerate(words)]


@dataclass
class RecordedRequest:
    path: str
    headers: dict[str, str]
    body: dict[str, Any]
    sent_deltas: list[tuple[float, str]] = field(default_factory=list)  # (monotonic time, text)


class AnthropicEmulator:
    """Start with ``with AnthropicEmulator() as api: ... api.base_url``."""

    def __init__(self) -> None:
        self.replies: deque[ScriptedReply] = deque()
        self.requests: list[RecordedRequest] = []
        self.default_reply = ScriptedReply()
        self.models: list[ModelEntry] = list(DEFAULT_MODELS)
        # answers to the next GET /v1/models (status, retry_after_ms, delay_s are used)
        self.model_faults: deque[ScriptedReply] = deque()
        self.prompt_cache = PromptCache()  # billed the documented way (tests/prompt_cache.py)
        self._lock = threading.Lock()
        self._server = EmulatorServer(self._handler_class())
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True
        )

    # ---- Public API

    @property
    def base_url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    def enqueue(self, *replies: ScriptedReply | str) -> None:
        with self._lock:
            for reply in replies:
                self.replies.append(ScriptedReply(text=reply) if isinstance(reply, str) else reply)

    def start(self) -> AnthropicEmulator:
        self._thread.start()
        return self

    def close_unstarted(self) -> None:
        """Free the port of an emulator that never served: nothing listens there any more
        (how an unreachable API looks)."""
        self._server.server_close()

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def __enter__(self) -> AnthropicEmulator:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def message_requests(self) -> list[RecordedRequest]:
        return [r for r in self.requests if r.path.startswith("/v1/messages")]

    @property
    def model_requests(self) -> list[RecordedRequest]:
        return [r for r in self.requests if urlsplit(r.path).path == "/v1/models"]

    # ---- Private

    def _next_reply(self) -> ScriptedReply:
        with self._lock:
            return self.replies.popleft() if self.replies else self.default_reply

    def _next_model_fault(self) -> ScriptedReply | None:
        with self._lock:
            return self.model_faults.popleft() if self.model_faults else None

    def _models_page(self, query: dict[str, list[str]]) -> tuple[int, dict[str, Any] | str]:
        """(200, the page) or (400, why): the documented cursor paging over ``models``."""
        raw_limit = (query.get("limit") or [str(MODELS_DEFAULT_LIMIT)])[-1]
        try:
            limit = int(raw_limit)
        except ValueError:
            return 400, f"limit: Input should be a valid integer, got {raw_limit!r}"
        if not 1 <= limit <= MODELS_MAX_LIMIT:
            return 400, f"limit: Input should be between 1 and {MODELS_MAX_LIMIT}"
        after_id = (query.get("after_id") or [None])[-1]
        before_id = (query.get("before_id") or [None])[-1]
        if after_id and before_id:
            return 400, "Only one of before_id and after_id may be given"
        with self._lock:
            models = list(self.models)
        ids = [model.id for model in models]
        cursor = after_id or before_id
        if cursor and cursor not in ids:
            return 400, f"{'after_id' if after_id else 'before_id'}: unknown id {cursor!r}"
        if before_id:
            end = ids.index(before_id)
            start = max(0, end - limit)
            has_more = start > 0
        else:
            start = ids.index(after_id) + 1 if after_id else 0
            end = min(len(models), start + limit)
            has_more = end < len(models)
        page = models[start:end]
        return 200, {
            "data": [model.to_json() for model in page],
            "has_more": has_more,
            "first_id": page[0].id if page else None,
            "last_id": page[-1].id if page else None,
        }

    def _handler_class(self) -> type[BaseHTTPRequestHandler]:
        emulator = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            # answer at once (TCP_NODELAY, as real servers do): otherwise each answer waits
            # ~40 ms for a delayed ACK
            disable_nagle_algorithm = True

            def log_message(self, *args: object) -> None:
                pass

            def do_GET(self) -> None:
                record = RecordedRequest(
                    self.path, {k.lower(): v for k, v in self.headers.items()}, {}
                )
                with emulator._lock:
                    emulator.requests.append(record)
                url = urlsplit(self.path)
                if url.path != "/v1/models":
                    self._error(404, "not found")
                    return
                if not self._authorised(record):
                    return
                fault = emulator._next_model_fault()
                if fault is not None:
                    if fault.delay_s:
                        time.sleep(fault.delay_s)
                    if fault.status != 200:
                        self._error(fault.status, "scripted failure", fault.retry_after_ms)
                        return
                status, page = emulator._models_page(parse_qs(url.query))
                if isinstance(page, str):
                    self._error(status, page)
                    return
                self._json(200, page)

            def do_POST(self) -> None:
                length = int(self.headers.get("content-length") or 0)
                try:
                    body = json.loads(self.rfile.read(length) or b"{}")
                except ValueError:
                    body = {}
                record = RecordedRequest(
                    self.path, {k.lower(): v for k, v in self.headers.items()}, body
                )
                with emulator._lock:
                    emulator.requests.append(record)
                if not self.path.startswith("/v1/messages"):
                    self._error(404, "not found")
                    return
                if not self._authorised(record):
                    return
                reply = emulator._next_reply()
                if reply.status != 200:
                    self._error(reply.status, "scripted failure", reply.retry_after_ms)
                    return
                try:
                    with emulator._lock:
                        usage = emulator.prompt_cache.usage(body)
                except TooManyBreakpoints as error:
                    self._error(400, str(error))
                    return
                if body.get("stream"):
                    self._stream(body, reply, usage, record)
                else:
                    self._message(body, reply, usage)

            def _authorised(self, record: RecordedRequest) -> bool:
                """Answer 401/403 as the API does for a refused key; True: go on."""
                key = _api_key(record.headers)
                if key is None or key == BAD_KEY:
                    self._error(401, "invalid x-api-key")
                    return False
                if key == NO_PERMISSION_KEY:
                    self._error(
                        403, "Your API key does not have permission to use the specified resource."
                    )
                    return False
                return True

            # ---- responses

            def _json(self, status: int, body: dict[str, Any]) -> None:
                payload = json.dumps(body).encode()
                self._headers(status, "application/json", {"content-length": str(len(payload))})
                self.end_headers()
                self.wfile.write(payload)

            def _headers(
                self, status: int, content_type: str, extra: dict[str, str] | None = None
            ) -> None:
                self.send_response(status)
                self.send_header("content-type", content_type)
                self.send_header("request-id", f"req_{uuid.uuid4().hex[:16]}")
                for name, value in (extra or {}).items():
                    self.send_header(name, value)

            def _error(self, status: int, message: str, retry_after_ms: int | None = None) -> None:
                payload = json.dumps(
                    {
                        "type": "error",
                        "error": {
                            "type": _ERROR_TYPES.get(status, "api_error"),
                            "message": message,
                        },
                    }
                ).encode()
                extra = {"content-length": str(len(payload))}
                if retry_after_ms is not None:
                    extra["retry-after-ms"] = str(retry_after_ms)
                    extra["retry-after"] = str(max(1, retry_after_ms // 1000))
                self._headers(status, "application/json", extra)
                self.end_headers()
                self.wfile.write(payload)

            def _message(
                self, body: dict[str, Any], reply: ScriptedReply, usage: dict[str, int]
            ) -> None:
                text = "".join(reply.deltas())
                payload = json.dumps(
                    {
                        "id": f"msg_{uuid.uuid4().hex[:20]}",
                        "type": "message",
                        "role": "assistant",
                        "model": body.get("model", "claude"),
                        "content": [{"type": "text", "text": text}],
                        "stop_reason": reply.stop_reason,
                        "stop_sequence": None,
                        "usage": {**usage, "output_tokens": max(1, len(text) // 4)},
                    }
                ).encode()
                self._headers(200, "application/json", {"content-length": str(len(payload))})
                self.end_headers()
                self.wfile.write(payload)

            def _stream(
                self,
                body: dict[str, Any],
                reply: ScriptedReply,
                usage: dict[str, int],
                record: RecordedRequest,
            ) -> None:
                self._headers(
                    200,
                    "text/event-stream",
                    {"transfer-encoding": "chunked", "cache-control": "no-cache"},
                )
                self.end_headers()
                try:
                    self._event(
                        "message_start",
                        {
                            "type": "message_start",
                            "message": {
                                "id": f"msg_{uuid.uuid4().hex[:20]}",
                                "type": "message",
                                "role": "assistant",
                                "content": [],
                                "model": body.get("model", "claude"),
                                "stop_reason": None,
                                "stop_sequence": None,
                                "usage": {**usage, "output_tokens": 1},
                            },
                        },
                    )
                    self._event(
                        "content_block_start",
                        {
                            "type": "content_block_start",
                            "index": 0,
                            "content_block": {"type": "text", "text": ""},
                        },
                    )
                    self._event("ping", {"type": "ping"})
                    output_tokens = 1
                    paced_from = time.monotonic()
                    deltas = reply.deltas()
                    for count, delta in enumerate(deltas):
                        if reply.error_event_after is not None and count == reply.error_event_after:
                            self._event(
                                "error",
                                {
                                    "type": "error",
                                    "error": {
                                        "type": reply.error_event_type,
                                        "message": "Overloaded",
                                    },
                                },
                            )
                            self._end()
                            return
                        if reply.drop_after is not None and count == reply.drop_after:
                            self.wfile.flush()
                            self.connection.shutdown(2)
                            self.close_connection = True
                            return
                        if reply.stall_after is not None and count == reply.stall_after:
                            time.sleep(reply.stall_s)
                        if reply.delay_s:
                            time.sleep(reply.delay_s)
                        if reply.tokens_per_s:
                            due = paced_from + count / reply.tokens_per_s
                            time.sleep(max(0.0, due - time.monotonic()))
                        self._event(
                            "content_block_delta",
                            {
                                "type": "content_block_delta",
                                "index": 0,
                                "delta": {"type": "text_delta", "text": delta},
                            },
                        )
                        record.sent_deltas.append((time.monotonic(), delta))
                        output_tokens += 1
                    if reply.stall_after is not None and reply.stall_after >= len(deltas):
                        time.sleep(reply.stall_s)  # silent after the last delta
                    self._event("content_block_stop", {"type": "content_block_stop", "index": 0})
                    self._event(
                        "message_delta",
                        {
                            "type": "message_delta",
                            "delta": {"stop_reason": reply.stop_reason, "stop_sequence": None},
                            "usage": {"output_tokens": output_tokens},
                        },
                    )
                    self._event("message_stop", {"type": "message_stop"})
                    self._end()
                except (BrokenPipeError, ConnectionResetError):
                    self.close_connection = True  # the client stopped reading (Stop pressed)

            def _event(self, name: str, data: dict[str, Any]) -> None:
                chunk = f"event: {name}\ndata: {json.dumps(data)}\n\n".encode()
                self.wfile.write(f"{len(chunk):x}\r\n".encode() + chunk + b"\r\n")
                self.wfile.flush()

            def _end(self) -> None:
                self.wfile.write(b"0\r\n\r\n")
                self.wfile.flush()

        return Handler


def _api_key(headers: dict[str, str]) -> str | None:
    authorization = headers.get("authorization", "")
    if authorization.lower().startswith("bearer "):
        return authorization[7:].strip()
    return headers.get("x-api-key")
