"""MCP test harness: real servers (`echotune mcp` as a subprocess, over stdio or on a free loopback port) and
the real `mcp` client. A blocking portal lets sync tests (and hypothesis) drive an async client session that
lives for a whole module, so each module pays the server's start-up once."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import anyio
import httpx
import pytest
from anyio.from_thread import BlockingPortal, start_blocking_portal

from echotune.tools.config import load_config
from echotune.tools.context import Context

EXE = str(Path(sys.executable).parent / "echotune")
CALL_TIMEOUT_S = 60


def server_env(data_dir: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("ECHOTUNE_")}
    env |= {"ECHOTUNE_DATA_DIR": str(data_dir), "ECHOTUNE_CONFIG": str(data_dir / "absent.toml")}
    env |= {"HF_HUB_OFFLINE": "1", "PYTHONUNBUFFERED": "1"}
    return env


def context_for(data_dir: Path, **kw: Any) -> Context:
    """An in-process Context over the same data dir as a server subprocess (to make tokens, seed data, check)."""
    return Context.from_config(load_config({"data_dir": data_dir}, config_file=data_dir / "absent.toml", environ={}),
                               **kw)  # fmt: skip


@pytest.fixture(scope="module")
def mcp_data(tmp_path_factory: pytest.TempPathFactory, catalog_db: Path) -> Path:
    """A data dir with the bundled catalog already loaded, shared by one module's server."""
    data = tmp_path_factory.mktemp("mcp-data")
    shutil.copy(catalog_db, data / "echotune.sqlite3")
    return data


def record_handshake(data_dir: Path) -> Path:
    """Record the stdio handshake into a data dir's cache, as a server's first start would; its path."""
    from echotune.mcp_server import handshake
    from echotune.mcp_server.events import server_context
    from echotune.mcp_server.server import build_server

    config = load_config({"data_dir": data_dir}, config_file=data_dir / "absent.toml", environ={})
    ctx = server_context(config)
    try:
        path = handshake.cache_path(config.cache_dir)
        handshake.save(path, anyio.run(handshake.record, build_server(ctx)))
    finally:
        ctx.close()
    return path


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class HttpServer:
    url: str
    base: str
    process: subprocess.Popen[bytes]
    log: Path
    data: Path

    def log_text(self) -> str:
        return self.log.read_text(encoding="utf-8", errors="replace")


@contextmanager
def run_http_server(
    data: Path, *args: str, log_name: str = "http.log", env: dict[str, str] | None = None
) -> Iterator[HttpServer]:
    port = free_port()
    log = data / log_name
    with log.open("wb") as fh:
        proc = subprocess.Popen([EXE, "mcp", "--http", "--port", str(port), *args], env=server_env(data) | (env or {}), cwd=data,
                                stdout=fh, stderr=subprocess.STDOUT)  # fmt: skip
    base = f"http://127.0.0.1:{port}"
    server = HttpServer(url=f"{base}/mcp", base=base, process=proc, log=log, data=data)
    try:
        deadline = time.monotonic() + 60
        while True:
            if proc.poll() is not None:
                raise RuntimeError(f"server exited with {proc.returncode}:\n{server.log_text()}")
            try:
                if httpx.get(f"{base}/healthz", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError(f"server did not start:\n{server.log_text()}")
            time.sleep(0.1)
        yield server
    finally:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


@asynccontextmanager
async def http_session(url: str, token: str | None = None) -> AsyncIterator[Any]:
    import httpx2
    from mcp import ClientSession
    from mcp.client.streamable_http import streamable_http_client

    headers = {"Authorization": f"Bearer {token}"} if token else {}
    async with (
        httpx2.AsyncClient(headers=headers, timeout=CALL_TIMEOUT_S) as http,
        streamable_http_client(url, http_client=http) as (read, write),
        ClientSession(read, write) as session,
    ):
        await session.initialize()
        yield session


@asynccontextmanager
async def stdio_session(data: Path, errlog: Any, command: list[str] | None = None) -> AsyncIterator[Any]:
    from mcp import ClientSession, StdioServerParameters, stdio_client

    cmd = command or [EXE, "mcp"]
    params = StdioServerParameters(command=cmd[0], args=cmd[1:], env=server_env(data), cwd=data)
    async with stdio_client(params, errlog=errlog) as (read, write), ClientSession(read, write) as session:
        await session.initialize()
        yield session


class Remote:
    """A live client session driven from sync code through a blocking portal; every call has a deadline."""

    def __init__(self, portal: BlockingPortal, session: Any):
        self.portal = portal
        self.session = session

    def _call(self, fn: Any, *args: Any) -> Any:
        async def bounded() -> Any:
            with anyio.fail_after(CALL_TIMEOUT_S):
                return await fn(*args)

        return self.portal.call(bounded)

    def call_tool(self, name: str, arguments: dict[str, Any] | None = None) -> Any:
        return self._call(self.session.call_tool, name, arguments or {})

    def list_tools(self) -> Any:
        return self._call(self.session.list_tools)

    def list_resources(self) -> Any:
        return self._call(self.session.list_resources)

    def read_resource(self, uri: str) -> Any:
        return self._call(self.session.read_resource, uri)

    def list_prompts(self) -> Any:
        return self._call(self.session.list_prompts)

    def get_prompt(self, name: str, arguments: dict[str, str] | None = None) -> Any:
        return self._call(self.session.get_prompt, name, arguments)

    def ping(self) -> Any:
        return self._call(self.session.send_ping)


@contextmanager
def remote(cm_factory: Any) -> Iterator[Remote]:
    with start_blocking_portal() as portal, portal.wrap_async_context_manager(cm_factory()) as session:
        yield Remote(portal, session)


def eventually(probe: Any, timeout: float = 10.0) -> Any:
    """probe()'s first truthy value, polling: servers write analytics events in batches, a moment later."""
    deadline = time.monotonic() + timeout
    while not (value := probe()) and time.monotonic() < deadline:
        time.sleep(0.05)
    return value


def text_of(result: Any) -> str:
    return "\n".join(getattr(c, "text", "") for c in result.content)
