"""The SDK's floor for benchmarks/mcp.py: a bare MCPServer with one trivial tool and nothing of EchoTune.

`python -m benchmarks.mcp_bare_server stdio` or `python -m benchmarks.mcp_bare_server http PORT`.
"""

from __future__ import annotations

import sys

from mcp.server.mcpserver import MCPServer

server = MCPServer("bare", log_level="WARNING")


@server.tool()
def echo(text: str = "hi") -> str:
    """Return the text it is given."""
    return text


if __name__ == "__main__":
    if sys.argv[1] == "stdio":
        server.run()
    else:
        server.run("streamable-http", host="127.0.0.1", port=int(sys.argv[2]), stateless_http=True, json_response=True)
