"""Serving over stdio (`echotune mcp`) once the mcp SDK has loaded: stdout carries the protocol and nothing else.

The wire is the one stdio_wire.py took over at start (fd 1 then points at stderr, so a stray print or a
library's log line cannot corrupt the stream) and may have answered the handshake on already. The SDK's
transport drops lines that are not JSON-RPC without a word; JSON-RPC 2.0 asks for an error reply (-32700
parse error, -32600 invalid request, id null), which the relay here sends, and the server keeps serving.

The tool modules are not imported to answer `tools/list` (the listing is cached, see tools/listings.py); once
the client has the list, a background thread imports them and opens the store, while the client shows the
tools or waits for its user, so the first call does not pay for that either.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import anyio
from mcp.server.stdio import stdio_server
from mcp.shared.message import SessionMessage
from mcp.types import INVALID_REQUEST, PARSE_ERROR, ErrorData, JSONRPCError
from pydantic import ValidationError

if TYPE_CHECKING:
    from mcp.server.context import CallNext, HandlerResult, ServerRequestContext
    from mcp.server.mcpserver import MCPServer

    from echotune.mcp_server.stdio_wire import Input, Output

log = logging.getLogger("echotune.mcp")


def malformed_reply(exc: Exception) -> JSONRPCError:
    """The JSON-RPC error for a line the transport could not decode."""
    not_json = isinstance(exc, ValidationError) and any(e["type"] == "json_invalid" for e in exc.errors())
    if not_json:
        return JSONRPCError(jsonrpc="2.0", id=None, error=ErrorData(code=PARSE_ERROR, message="Parse error"))
    return JSONRPCError(
        jsonrpc="2.0",
        id=None,
        error=ErrorData(code=INVALID_REQUEST, message="Invalid Request: not a JSON-RPC 2.0 request or notification"),
    )


def warm_up_after_listing(server: MCPServer, warm_up: Callable[[], None]) -> None:
    """Run warm_up in a background thread once the first `tools/list` has been answered."""
    started = threading.Event()

    async def middleware(ctx: ServerRequestContext[Any, Any], call_next: CallNext) -> HandlerResult:
        result = await call_next(ctx)
        if ctx.method == "tools/list" and not started.is_set():
            started.set()
            threading.Thread(target=warm_up, name="echotune-warmup", daemon=True).start()
        return result

    server.middleware.append(middleware)


async def serve_stdio(server: MCPServer, stdin: Input, stdout: Output) -> None:
    lowlevel = server._lowlevel_server  # the SDK offers no public hook for undecodable lines
    async with stdio_server(stdin, stdout) as (read_stream, write_stream):  # type: ignore[arg-type]
        send, receive = anyio.create_memory_object_stream[SessionMessage | Exception](0)

        async def relay() -> None:
            async with send:
                async for item in read_stream:
                    if isinstance(item, Exception):
                        log.info("malformed JSON-RPC line answered with an error", extra={"event": "mcp.malformed"})
                        await write_stream.send(SessionMessage(malformed_reply(item)))
                    else:
                        await send.send(item)

        async with anyio.create_task_group() as tg:
            tg.start_soon(relay)
            await lowlevel.run(receive, write_stream, lowlevel.create_initialization_options())
            tg.cancel_scope.cancel()
