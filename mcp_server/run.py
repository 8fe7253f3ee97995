"""Starting the stdio server: take over the wire, build the Context and the MCPServer, serve until the client
closes stdin.

With a recorded handshake (handshake.py), `initialize` and `tools/list` are answered from it while the mcp SDK
loads on a thread, long before a bare MCPServer could answer; the first start after a change records it. The
tool modules and the store come after (warm_up), so the first call does not wait for them either
(benchmarks/mcp.py measures both, beside a bare MCPServer).
"""

from __future__ import annotations

import gc
import logging
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from echotune.tools.config import Config
    from echotune.tools.context import Context

log = logging.getLogger("echotune.mcp")


@contextmanager
def starting_up() -> Iterator[None]:
    """No cyclic garbage collection while the server starts up.

    Importing the mcp SDK and building the server create over 100,000 objects (pydantic models, their schemas
    and validators) that live as long as the process; the collector walked them again and again while they
    were being made, about a tenth of the start-up (benchmarks/mcp.py). Afterwards they are frozen (`gc.freeze`:
    left out of every later collection, as they will not become garbage) and collection resumes for what
    serving allocates.
    """
    gc.disable()
    try:
        yield
    finally:
        gc.freeze()
        gc.enable()


def warm_up(ctx: Context) -> None:
    """What the first tool call would otherwise wait for: the tool modules (their models) and the store."""
    from echotune.tools.registry import all_tools

    try:
        all_tools()
        _ = ctx.store.events  # opens the store and starts the event writer
    except Exception as exc:  # the first call that needs it reports the error to its caller
        log.warning("warming up failed: %s", exc)


def run_stdio(config: Config) -> None:
    """Take over stdin/stdout, answer the handshake from the cache while the SDK loads, then serve with it."""
    import queue
    import threading
    import time

    from echotune.mcp_server import handshake
    from echotune.mcp_server.stdio_wire import READY, Front, InFlight, Input, Output, claim_stdio, start_reader

    started = time.perf_counter()
    with starting_up():
        wire_in, wire_out = claim_stdio()
        lines: queue.SimpleQueue[Any] = queue.SimpleQueue()
        start_reader(wire_in, lines)
        cache = handshake.cache_path(config.cache_dir)
        front = Front(handshake.load(cache), wire_out)
        built: dict[str, Any] = {}

        def load_sdk() -> None:
            try:
                from echotune.mcp_server.events import server_context
                from echotune.mcp_server.server import build_server

                built["ctx"] = ctx = server_context(config)
                built["server"] = build_server(ctx)
                lines.put(READY)
            except BaseException as exc:  # the front re-raises it on the main thread
                lines.put(exc)

        threading.Thread(target=load_sdk, name="echotune-load-sdk", daemon=True).start()
        front.serve_until_ready(lines)
    import anyio

    from echotune.mcp_server.stdio import serve_stdio, warm_up_after_listing

    ctx, server = built["ctx"], built["server"]
    log.info("mcp SDK ready after %.2f s; handshake %s", time.perf_counter() - started,
             "answered from the cache" if front.version else "left to the SDK")  # fmt: skip
    if front.handshake is None:
        handshake.save(cache, anyio.run(handshake.record, server))
    if front.listed:
        threading.Thread(target=warm_up, args=(ctx,), name="echotune-warmup", daemon=True).start()
    else:
        warm_up_after_listing(server, lambda: warm_up(ctx))
    try:
        in_flight = InFlight()
        anyio.run(serve_stdio, server, Input(front, lines, in_flight), Output(front, wire_out, cache, in_flight))
    finally:
        ctx.close()
