"""Starting the stdio server: build the Context and the MCPServer, serve until the client closes stdin.

Answering `initialize` and `tools/list` needs the mcp SDK, the config and the cached tool listing; the tool
modules and the store come after (warm_up), so a client sees the tools about as soon as a bare MCPServer could
show them (benchmarks/mcp.py measures both).
"""

from __future__ import annotations

import gc
import logging
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

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
    with starting_up():
        import anyio

        from echotune.mcp_server.events import server_context
        from echotune.mcp_server.server import build_server
        from echotune.mcp_server.stdio import serve_stdio, warm_up_after_listing

        ctx = server_context(config)
        server = build_server(ctx)
        warm_up_after_listing(server, lambda: warm_up(ctx))
    try:
        anyio.run(serve_stdio, server)
    finally:
        ctx.close()
