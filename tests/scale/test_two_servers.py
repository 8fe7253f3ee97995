"""Two HTTP MCP servers over one MongoDB and one Redis, as behind a load balancer: either answers any call,
each sees what the other wrote, a stale settings write is refused across them, and both serve the one catalog."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import ExitStack

import httpx
import pytest

from echotune.mcp_server.auth import create_token
from echotune.tools.catalog import ensure_bundled
from echotune.tools.config import load_config
from echotune.tools.context import Context
from tests.mcp.conftest import HttpServer, eventually, http_session, remote, run_http_server


@pytest.fixture(scope="module")
def shared(tmp_path_factory: pytest.TempPathFactory, mongo_uri: str, redis_url: str) -> dict[str, str]:
    return {
        "ECHOTUNE_STORE": "mongo",
        "ECHOTUNE_MONGO_URI": mongo_uri,
        "ECHOTUNE_MONGO_DB": f"two_servers_{uuid.uuid4().hex[:8]}",
        "ECHOTUNE_REDIS_URL": redis_url,
    }


@pytest.fixture(scope="module")
def admin_token(tmp_path_factory: pytest.TempPathFactory, shared: dict[str, str]) -> str:
    data = tmp_path_factory.mktemp("issuer")
    env = shared | {"ECHOTUNE_DATA_DIR": str(data)}
    ctx = Context.from_config(load_config(environ=env, config_file=data / "absent.toml"))
    secret, _ = create_token(ctx, user="alice", scope="admin")
    # Load the catalog once up front, as a deployment would: two servers racing to load 20K tracks into the
    # test's MongoDB server takes minutes (the race itself is covered by the store contract tests).
    ensure_bundled(ctx)
    ctx.close()
    return secret


@pytest.fixture(scope="module")
def servers(
    tmp_path_factory: pytest.TempPathFactory, shared: dict[str, str], admin_token: str
) -> Iterator[list[HttpServer]]:
    with ExitStack() as stack:
        started = []
        for name in ("a", "b"):  # two machines: separate data dirs, the same MongoDB and Redis
            data = tmp_path_factory.mktemp(f"server-{name}")
            started.append(stack.enter_context(run_http_server(data, "--auth", env=shared)))
        yield started


def _warm(server: HttpServer) -> bool:
    return httpx.get(f"{server.base}/healthz", timeout=2).json()["warm"]


def test_either_server_answers_and_sees_the_others_writes(servers: list[HttpServer], admin_token: str) -> None:
    a, b = servers
    with (
        remote(lambda: http_session(a.url, admin_token)) as via_a,
        remote(lambda: http_session(b.url, admin_token)) as via_b,
    ):
        for i, (writer, reader) in enumerate([(via_a, via_b), (via_b, via_a), (via_a, via_b)]):
            market = ["SE", "NO", "FI"][i]
            assert not writer.call_tool("settings_update", {"key": "market", "value": market}).is_error
            seen = reader.call_tool("settings_get").structured_content
            assert seen["user"] == "alice" and seen["settings"]["market"] == market and seen["version"] == i + 1


def test_a_stale_write_through_the_other_server_is_a_conflict(servers: list[HttpServer], admin_token: str) -> None:
    a, b = servers
    with (
        remote(lambda: http_session(a.url, admin_token)) as via_a,
        remote(lambda: http_session(b.url, admin_token)) as via_b,
    ):
        read = via_a.call_tool("settings_get").structured_content["version"]
        assert not via_b.call_tool(
            "settings_update", {"key": "market", "value": "DK", "expected_version": read}
        ).is_error
        stale = via_a.call_tool("settings_update", {"key": "market", "value": "IS", "expected_version": read})
        assert stale.is_error and "conflict" in stale.content[0].text and "DK" in stale.content[0].text
        assert via_b.call_tool("settings_get").structured_content["settings"]["market"] == "DK"


def test_both_serve_the_shared_catalog(servers: list[HttpServer], admin_token: str) -> None:
    assert all(eventually(lambda s=s: _warm(s), timeout=120) for s in servers)
    for s in servers:
        assert "Traceback" not in s.log_text(), s.log_text()[-2000:]
    a, b = servers
    with remote(lambda: http_session(b.url, admin_token)) as via_b:
        stats = via_b.call_tool("catalog_stats").structured_content
        assert stats["tracks"] == 20405 and stats["by_source"] == {"bundled": 20405}
    with remote(lambda: http_session(a.url, admin_token)) as via_a:
        hit = via_a.call_tool("catalog_search", {"query": "hey jue", "limit": 1}).structured_content
        assert hit["tracks"][0]["title"] == "Hey Jude"
