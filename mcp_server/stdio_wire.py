"""The stdio wire before and after the mcp SDK has loaded: nothing here imports the SDK.

`echotune mcp` takes over stdin and stdout at once (fd 0 then reads the null device and fd 1 writes to stderr,
so a stray print or a child process can never corrupt the protocol stream) and reads the client's lines on a
thread. While the SDK loads on another thread, `Front` answers `initialize` and `tools/list` from the recorded
handshake (handshake.py) and keeps every other line, in order, for the SDK. Then the SDK's server takes over
the same wire (`Input`, `Output`); it is handed the client's `initialize` too, so its session is set up as if
it had answered, and its own answer is compared with the one the client got instead of being sent twice.
"""

from __future__ import annotations

import contextlib
import fcntl
import logging
import os
import queue
import threading
from collections import deque
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, BinaryIO

import orjson

from echotune.mcp_server.handshake import Handshake, forget

log = logging.getLogger("echotune.mcp")

READY = "sdk-ready"
"""Put on the line queue by the loader once the SDK's server is built: the front hands over."""
MODERN_META_KEY = "io.modelcontextprotocol/protocolVersion"
"""In `params._meta` only on 2026-era requests, which have no handshake: those go to the SDK."""


def claim_stdio() -> tuple[BinaryIO, BinaryIO]:
    """Private duplicates of stdin and stdout for the protocol; fd 0 and 1 are pointed elsewhere."""
    wire_in = fcntl.fcntl(0, fcntl.F_DUPFD_CLOEXEC, 3)
    wire_out = fcntl.fcntl(1, fcntl.F_DUPFD_CLOEXEC, 3)
    null = os.open(os.devnull, os.O_RDONLY)
    os.dup2(null, 0)
    os.close(null)
    os.dup2(2, 1)
    return os.fdopen(wire_in, "rb"), os.fdopen(wire_out, "wb")


def start_reader(wire_in: BinaryIO, lines: queue.SimpleQueue[Any]) -> None:
    """Queue every line the client sends, then None at end of input."""

    def read() -> None:
        try:
            for line in iter(wire_in.readline, b""):
                lines.put(line)
        finally:
            lines.put(None)

    threading.Thread(target=read, name="echotune-stdin", daemon=True).start()


def send_line(wire_out: BinaryIO, data: bytes) -> None:
    """One JSON-RPC message on the wire, flushed (the client reads it as soon as it is complete)."""
    wire_out.write(data)
    wire_out.flush()


def _is_id(value: object) -> bool:
    return isinstance(value, str) or (isinstance(value, int) and not isinstance(value, bool))


def _handshake_era(params: object) -> bool:
    meta = params.get("_meta") if isinstance(params, dict) else None
    return params is None or (isinstance(params, dict) and not (isinstance(meta, dict) and MODERN_META_KEY in meta))


def _client_init(params: object) -> bool:
    """The fields the SDK requires of `initialize` (anything less is left for it to refuse)."""
    if not isinstance(params, dict):
        return False
    info = params.get("clientInfo")
    return (
        isinstance(params.get("protocolVersion"), str)
        and isinstance(params.get("capabilities"), dict)
        and isinstance(info, dict)
        and isinstance(info.get("name"), str)
        and isinstance(info.get("version"), str)
    )


@dataclass
class Front:
    """Answers the handshake while the SDK loads; keeps every other line for it."""

    handshake: Handshake | None
    wire_out: BinaryIO
    pending: deque[bytes | None] = field(default_factory=deque)
    version: str | None = None
    """The protocol version the front's `initialize` answer negotiated (None: it did not answer)."""
    init_id: str | int | None = None
    init_answer: dict[str, Any] | None = None
    listed: bool = False

    def serve_until_ready(self, lines: queue.SimpleQueue[Any]) -> None:
        """Take lines until the loader says the SDK is ready (or re-raise what stopped it)."""
        while (line := lines.get()) != READY:
            if isinstance(line, BaseException):
                raise line
            if line is None:
                self.pending.append(None)
            else:
                self.take(line)

    def take(self, line: bytes) -> None:
        try:
            message = orjson.loads(line)
        except orjson.JSONDecodeError:
            message = None
        if not self._answered(message):
            self.pending.append(line)

    def _answered(self, message: object) -> bool:
        if self.handshake is None or not isinstance(message, dict) or message.get("jsonrpc") != "2.0":
            return False
        method, request_id, params = message.get("method"), message.get("id"), message.get("params")
        if not _is_id(request_id) or not _handshake_era(params):
            return False
        if method == "initialize" and self.version is None and _client_init(params):
            assert isinstance(params, dict)
            self.version = self.handshake.negotiated(params["protocolVersion"])
            self.init_id = request_id
            self.init_answer = self.handshake.answers[self.version]["initialize"]
            self._send(request_id, self.init_answer)
            return False  # answered, and still handed to the SDK, whose session must see it
        if method == "tools/list" and self.version is not None and not (params or {}).get("cursor"):
            self._send(request_id, self.handshake.answers[self.version]["tools/list"])
            self.listed = True
            return True
        return False

    def _send(self, request_id: str | int, result: dict[str, Any]) -> None:
        send_line(self.wire_out, orjson.dumps({"jsonrpc": "2.0", "id": request_id, "result": result}) + b"\n")


class InFlight:
    """Requests handed to the SDK and not answered yet. A client may close stdin as soon as it has written its
    last request (a script piping requests in); the SDK would then drop what is still running, so the end of
    input waits for those answers first, for up to DRAIN_SECONDS."""

    DRAIN_SECONDS = 60.0

    def __init__(self) -> None:
        self.ids: set[str | int] = set()
        self.changed: Any = None  # an anyio.Event while the end of input waits

    def asked(self, message: object) -> None:
        if not isinstance(message, dict):
            return
        if "method" in message and _is_id(message.get("id")):
            self.ids.add(message["id"])
        elif message.get("method") == "notifications/cancelled" and isinstance(message.get("params"), dict):
            self.answered(message["params"].get("requestId"))

    def answered(self, request_id: object) -> None:
        self.ids.discard(request_id)  # type: ignore[arg-type]
        if self.changed is not None:
            self.changed.set()

    async def drained(self) -> None:
        import anyio

        with anyio.move_on_after(self.DRAIN_SECONDS) as waited:
            while self.ids:
                self.changed = anyio.Event()
                await self.changed.wait()
        if waited.cancelled_caught:
            log.warning("input ended; gave up waiting for %d unanswered request(s): %s", len(self.ids), self.ids)


class Input:
    """The SDK's stdin: the lines the front kept, then the client's as they come."""

    def __init__(self, front: Front, lines: queue.SimpleQueue[Any], in_flight: InFlight):
        self.pending = front.pending
        self.lines = lines
        self.in_flight = in_flight
        self.ended = False

    def __aiter__(self) -> Input:
        return self

    async def __anext__(self) -> str:
        import anyio

        if self.ended:
            raise StopAsyncIteration
        if self.pending:
            line = self.pending.popleft()
        else:
            line = await anyio.to_thread.run_sync(self.lines.get, abandon_on_cancel=True)
        if line is None:
            self.ended = True
            await self.in_flight.drained()
            raise StopAsyncIteration
        with contextlib.suppress(orjson.JSONDecodeError):  # the SDK answers it with a parse error (stdio.py)
            self.in_flight.asked(orjson.loads(line))
        return line.decode("utf-8", errors="replace")


class Output:
    """The SDK's stdout. Its answer to an `initialize` the front already answered is checked, not sent: if it
    differs, the cached handshake is dropped (logged), so the next start records it afresh."""

    def __init__(self, front: Front, wire_out: BinaryIO, cache: Path, in_flight: InFlight):
        self.wire_out = wire_out
        self.cache = cache
        self.in_flight = in_flight
        self.expected = {front.init_id: front.init_answer} if front.version is not None else {}

    async def write(self, text: str) -> None:
        import anyio

        reply = orjson.loads(text)
        is_reply = "method" not in reply and ("result" in reply or "error" in reply)
        if is_reply and reply.get("id") in self.expected:
            self._check(reply)
        else:
            await anyio.to_thread.run_sync(send_line, self.wire_out, text.encode())
        if is_reply:
            self.in_flight.answered(reply.get("id"))

    async def flush(self) -> None:
        """Each write is flushed already."""

    def _check(self, reply: dict[str, Any]) -> None:
        sent = self.expected.pop(reply["id"])
        if reply.get("result") != sent:
            log.warning("the cached MCP handshake differs from the server's own answer; dropping %s (the next "
                        "start records it again): sent %s, the server says %s", self.cache, sent, reply)  # fmt: skip
            forget(self.cache)
