"""Starting the stdio server: build the Context and the MCPServer, serve until the client closes stdin."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from echotune.tools.config import Config


def run_stdio(config: Config) -> None:
    import anyio

    from echotune.mcp_server.events import server_context
    from echotune.mcp_server.server import build_server
    from echotune.mcp_server.stdio import serve_stdio

    ctx = server_context(config)
    try:
        anyio.run(serve_stdio, build_server(ctx))
    finally:
        ctx.close()
