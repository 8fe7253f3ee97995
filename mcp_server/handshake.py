"""The stdio handshake's answers (`initialize`, `tools/list`), recorded from the real server and cached on disk.

Importing the mcp SDK takes 0.9–1.5 s on a small machine, before a server could answer anything; Claude Desktop
and IDEs start the server often and wait for its tool list. The SDK's own answers to the handshake are
recorded once, by driving the real server over in-memory streams, for every protocol version it offers, and
kept in the data folder's cache under a key hashing what they are derived from (the tools' sources, this
package's sources, the MCP prompt texts, the mcp and Python versions). stdio.py answers from them while the
SDK loads, and checks each answer against the one the SDK gives once it is up: a disagreement drops the file.

Nothing here imports the SDK at module level: the cache is read before it is loaded.
"""

from __future__ import annotations

import hashlib
import importlib.metadata
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import orjson

import echotune.mcp_server
import echotune.prompts
from echotune.tools.cache_files import hash_sources, read_cached, write_cached
from echotune.tools.listings import source_key

if TYPE_CHECKING:
    from mcp.server.mcpserver import MCPServer

FORMAT = 1
"""Bump when the file's layout changes."""
PREFIX = "mcp-handshake-"


@dataclass(frozen=True)
class Handshake:
    """The server's answers per protocol version: {version: {"initialize": result, "tools/list": result}}.
    latest: the version offered to a client asking for one the server does not speak (as the SDK does)."""

    answers: dict[str, dict[str, dict[str, Any]]]
    latest: str

    def negotiated(self, requested: object) -> str:
        return requested if isinstance(requested, str) and requested in self.answers else self.latest


def handshake_key() -> str:
    """A hash of everything the answers derive from; a new key whenever any of it changes."""
    versions = " ".join(importlib.metadata.version(d) for d in ("mcp", "mcp-types"))
    digest = hashlib.sha256(f"{FORMAT} {source_key()} {versions} {sys.version_info[:2]}".encode())
    for package in (echotune.mcp_server, echotune.prompts):
        hash_sources(digest, package.__path__, (".py", ".md"))
    return digest.hexdigest()[:32]


def cache_path(cache_dir: Path) -> Path:
    return cache_dir / f"{PREFIX}{handshake_key()}.json"


def load(path: Path) -> Handshake | None:
    """The cached answers, or None when there are none for these sources (or the file is unreadable)."""

    def parse(data: bytes) -> Handshake:
        fields = orjson.loads(data)
        return Handshake(answers=fields["answers"], latest=fields["latest"])

    return read_cached(path, parse, "MCP handshake")


def save(path: Path, handshake: Handshake) -> None:
    data = orjson.dumps({"answers": handshake.answers, "latest": handshake.latest})
    write_cached(path, data, PREFIX, "MCP handshake")


def forget(path: Path) -> None:
    path.unlink(missing_ok=True)


async def record(server: MCPServer) -> Handshake:
    """The server's own answers to `initialize` and `tools/list`, in every handshake protocol version, taken
    over in-memory streams exactly as the stdio transport would serialize them."""
    import anyio
    from mcp.shared.message import SessionMessage
    from mcp_types import jsonrpc_message_adapter
    from mcp_types.version import HANDSHAKE_PROTOCOL_VERSIONS, LATEST_HANDSHAKE_VERSION

    lowlevel = server._lowlevel_server  # the SDK has no public way to serve a single in-memory connection
    answers: dict[str, dict[str, dict[str, Any]]] = {}
    for version in HANDSHAKE_PROTOCOL_VERSIONS:
        requests = [
            {"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {"protocolVersion": version,
             "capabilities": {}, "clientInfo": {"name": "echotune-handshake-recorder", "version": "1"}}},
            {"jsonrpc": "2.0", "method": "notifications/initialized"},
            {"jsonrpc": "2.0", "id": 2, "method": "tools/list"},
        ]  # fmt: skip
        to_server, server_reads = anyio.create_memory_object_stream[SessionMessage | Exception](len(requests))
        server_writes, from_server = anyio.create_memory_object_stream[SessionMessage](len(requests))
        for request in requests:
            to_server.send_nowait(SessionMessage(jsonrpc_message_adapter.validate_python(request, by_name=False)))
        replies: dict[int, dict[str, Any]] = {}
        async with anyio.create_task_group() as tg:
            tg.start_soon(lowlevel.run, server_reads, server_writes, lowlevel.create_initialization_options())
            async with from_server:
                while len(replies) < 2:
                    message = (await from_server.receive()).message
                    reply = orjson.loads(message.model_dump_json(by_alias=True, exclude_unset=True))
                    if "id" in reply:
                        replies[reply["id"]] = reply
            await to_server.aclose()
        for reply in replies.values():
            if "result" not in reply:
                raise RuntimeError(f"the server refused its own handshake at {version}: {reply}")
        answers[version] = {"initialize": replies[1]["result"], "tools/list": replies[2]["result"]}
    return Handshake(answers=answers, latest=LATEST_HANDSHAKE_VERSION)
