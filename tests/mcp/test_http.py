"""`echotune mcp --http --auth` on a free loopback port, driven by the real mcp client and by plain HTTP where
status codes matter: 401 without a valid token, 403 for a scope that does not cover a tool and for a foreign
Origin, 429 with Retry-After over the rate limit, per-user isolation, audit log, events, metrics, JSON logs."""

from __future__ import annotations

import json
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest

from echotune.mcp_server.auth import SCOPES, create_token, granted, required_scope, revoke_token
from echotune.tools.models import Play
from echotune.tools.registry import all_tools
from tests.mcp.conftest import (
    EXE,
    HttpServer,
    context_for,
    eventually,
    http_session,
    remote,
    run_http_server,
    server_env,
    text_of,
)

ACCEPT = "application/json, text/event-stream"


@dataclass
class Tokens:
    alice: dict[str, str]  # scope -> token
    bob: dict[str, str]
    limited: str
    revoked: str
    ids: dict[str, str]  # token -> id


@pytest.fixture(scope="module")
def tokens(mcp_data: Path) -> Tokens:
    ctx = context_for(mcp_data)
    ids: dict[str, str] = {}

    def make(user: str, scope: str, rate: int = 600) -> str:
        secret, record = create_token(ctx, user=user, scope=scope, rate_per_min=rate)  # type: ignore[arg-type]
        ids[secret] = record.id
        return secret

    made = Tokens(
        alice={s: make("alice", s) for s in SCOPES},
        bob={s: make("bob", s) for s in SCOPES},
        limited=make("carol", "read", rate=3),
        revoked=make("alice", "admin"),
        ids=ids,
    )
    revoke_token(ctx, ids[made.revoked])
    ctx.store.plays.add(
        [
            Play(
                user="alice",
                played_at=datetime(2026, 10, 1, tzinfo=UTC),
                ms_played=200_000,
                title="Alice Private Song",
                artist="Alice Private Band",
            )
        ]
    )
    ctx.close()
    return made


@pytest.fixture(scope="module")
def server(mcp_data: Path, tokens: Tokens) -> Iterator[HttpServer]:
    with run_http_server(mcp_data, "--auth", "--log-format", "json", "--log-level", "debug") as s:
        yield s


class Raw:
    """Plain HTTP to the MCP endpoint, for what the client library hides: status codes and headers."""

    def __init__(self, server: HttpServer, token: str | None = None, origin: str | None = None):
        self.url = server.url
        self.headers = {"Accept": ACCEPT, "Content-Type": "application/json"}
        if token:
            self.headers["Authorization"] = f"Bearer {token}"
        if origin:
            self.headers["Origin"] = origin
        self.next_id = 1

    def post(self, message: dict[str, Any] | str) -> httpx.Response:
        body = message if isinstance(message, str) else json.dumps(message)
        return httpx.post(self.url, content=body, headers=self.headers, timeout=60)

    def request(self, method: str, params: dict[str, Any] | None = None) -> httpx.Response:
        self.next_id += 1
        return self.post({"jsonrpc": "2.0", "id": self.next_id, "method": method, "params": params or {}})

    def initialize(self) -> Raw:
        r = self.request(
            "initialize",
            {"protocolVersion": "2025-06-18", "capabilities": {}, "clientInfo": {"name": "raw", "version": "1"}},
        )
        assert r.status_code == 200, r.text
        self.headers["mcp-session-id"] = r.headers["mcp-session-id"]
        self.headers["mcp-protocol-version"] = "2025-06-18"
        assert self.post({"jsonrpc": "2.0", "method": "notifications/initialized"}).status_code == 202
        return self

    def call(self, name: str, arguments: dict[str, Any] | None = None) -> httpx.Response:
        return self.request("tools/call", {"name": name, "arguments": arguments or {}})


def messages(response: httpx.Response) -> list[dict[str, Any]]:
    if response.headers["content-type"].startswith("application/json"):
        return [response.json()]
    return [
        json.loads(line[5:]) for line in response.text.splitlines() if line.startswith("data:") and line[5:].strip()
    ]


def test_missing_unknown_and_revoked_tokens_get_401(server: HttpServer, tokens: Tokens) -> None:
    for token, reason in (
        (None, "missing bearer token"),
        ("et_nope_nope", "unknown or revoked token"),
        (tokens.revoked, "unknown or revoked token"),
    ):
        r = Raw(server, token).request("initialize")
        assert r.status_code == 401
        challenge = r.headers["www-authenticate"]
        assert challenge.startswith("Bearer ") and 'error="invalid_token"' in challenge
        assert "resource_metadata=" in challenge
        assert r.json()["error_description"].startswith(reason)
        assert "echotune mcp token create" in r.json()["error_description"]


def leaves(exc: BaseException) -> list[BaseException]:
    if isinstance(exc, BaseExceptionGroup):
        return [leaf for inner in exc.exceptions for leaf in leaves(inner)]
    return [exc]


def refusals(server: HttpServer, reason: str) -> int:
    records = [json.loads(line) for line in server.log_text().splitlines() if line.startswith("{")]
    return sum(r.get("event") == "mcp.refused" and r.get("reason") == reason for r in records)


def test_the_real_client_is_refused_without_a_token(server: HttpServer) -> None:
    before = refusals(server, "unauthenticated")
    with pytest.raises(BaseException) as failure, remote(lambda: http_session(server.url)):
        pass
    assert any(type(e).__name__ == "MCPError" for e in leaves(failure.value)), failure.value
    assert refusals(server, "unauthenticated") > before


@pytest.mark.parametrize("scope", SCOPES)
def test_every_scope_calls_exactly_its_tools(server: HttpServer, tokens: Tokens, scope: str) -> None:
    raw = Raw(server, tokens.alice[scope]).initialize()
    for name, spec in all_tools().items():
        r = raw.call(name)
        if required_scope(spec) in granted(scope):  # type: ignore[arg-type]
            assert r.status_code == 200, (scope, name, r.text)
            (reply,) = messages(r)
            assert "result" in reply, reply
        else:
            assert r.status_code == 403, (scope, name, r.text)
            assert 'error="insufficient_scope"' in r.headers["www-authenticate"]
            assert r.json()["required_scope"] == required_scope(spec)
            assert f"needs the '{required_scope(spec)}' scope" in r.json()["error_description"]


def test_scopes_with_the_real_client(server: HttpServer, tokens: Tokens) -> None:
    with remote(lambda: http_session(server.url, tokens.alice["read"])) as alice:
        found = alice.call_tool("catalog_search", {"query": "bohemian rhapsody", "limit": 1})
        assert not found.is_error and found.structured_content["tracks"][0]["artists"] == "Queen"
        before = refusals(server, "insufficient_scope")
        with pytest.raises(BaseException) as refused:
            alice.call_tool("settings_update", {"key": "market", "value": "SE"})
        assert any(type(e).__name__ == "MCPError" for e in leaves(refused.value)), refused.value
        assert refusals(server, "insufficient_scope") == before + 1
    with remote(lambda: http_session(server.url, tokens.alice["admin"])) as admin:
        changed = admin.call_tool("settings_update", {"key": "content.allow_explicit", "value": False})
        assert not changed.is_error and changed.structured_content["user"] == "alice"


def test_rate_limit_answers_429_with_retry_after(server: HttpServer, tokens: Tokens) -> None:
    raw = Raw(server, tokens.limited).initialize()  # two requests of the three allowed per minute
    assert raw.call("settings_get").status_code == 200
    over = raw.call("settings_get")
    assert over.status_code == 429
    assert over.headers["retry-after"] == "20"  # 3 per minute: one more in 20 s
    assert over.json()["error"] == "rate_limited" and "3 calls per minute" in over.json()["error_description"]
    other = Raw(server, tokens.bob["read"]).initialize()  # buckets are per token
    assert other.call("settings_get").status_code == 200


def test_one_users_token_cannot_read_or_change_another_users_data(server: HttpServer, tokens: Tokens) -> None:
    for spec in all_tools().values():
        names = set(spec.input_model.model_fields)
        assert not names & {"user", "user_id", "username", "owner"}, f"{spec.name} could be pointed at a user"
    with (
        remote(lambda: http_session(server.url, tokens.alice["admin"])) as alice,
        remote(lambda: http_session(server.url, tokens.bob["admin"])) as bob,
    ):
        assert not alice.call_tool("settings_update", {"key": "market", "value": "DE"}).is_error
        mine = bob.call_tool("settings_get").structured_content
        assert mine["user"] == "bob" and mine["settings"]["market"] == "US"
        assert not bob.call_tool("settings_update", {"key": "market", "value": "FR"}).is_error
        theirs = alice.call_tool("settings_get").structured_content
        assert theirs["user"] == "alice" and theirs["settings"]["market"] == "DE"
        assert json.loads(bob.read_resource("echotune://settings").contents[0].text)["user"] == "bob"
        assert "FR" not in json.dumps(alice.call_tool("settings_history").structured_content)
        for name, spec in all_tools().items():  # whatever bob can read holds nothing of alice's
            if spec.read_only:
                seen = text_of(bob.call_tool(name, {}))
                assert "Alice Private" not in seen and '"alice"' not in seen, name


def test_a_token_cannot_reach_files_outside_its_users_folder(server: HttpServer, tokens: Tokens) -> None:
    with remote(lambda: http_session(server.url, tokens.bob["admin"])) as bob:
        for name, args in [
            ("history_export", {"out": "/tmp/echotune-stolen.json"}),
            ("insights_report", {"out": "../../escape.html"}),
            ("history_import", {"paths": ["/etc/passwd"]}),
        ]:
            result = bob.call_tool(name, args)
            assert result.is_error and "only be read and written under your folder" in text_of(result), name
        assert not Path("/tmp/echotune-stolen.json").exists()
        exported = bob.call_tool("history_export", {})
        assert not exported.is_error and "/files/bob/" in exported.structured_content["path"]


def test_audit_log_and_events_carry_user_token_and_scope(server: HttpServer, tokens: Tokens, mcp_data: Path) -> None:
    token = tokens.bob["admin"]
    with remote(lambda: http_session(server.url, token)) as bob:
        bob.call_tool("catalog_stats", {"top": 3})
        bob.call_tool("settings_update", {"key": "recommendation.diversity", "value": 0.7})
        bob.call_tool("settings_update", {"key": "no.such.key", "value": 1})
    ctx = context_for(mcp_data)
    audit = [e for e in ctx.store.audit.list(user="bob") if e.token_id == tokens.ids[token]]
    assert [(e.tool, e.outcome, e.error_code, e.arguments["key"]) for e in audit[:2]] == [
        ("settings_update", "error", "invalid_input", "no.such.key"),
        ("settings_update", "ok", None, "recommendation.diversity"),
    ]
    assert all(e.scope == "admin" and e.face == "mcp" and e.effect == "act" for e in audit)
    assert not [e for e in ctx.store.audit.list(limit=1000) if e.tool == "catalog_stats"], "reads are not audited"
    expected = {("catalog_stats", "bob", "mcp", "admin"), ("settings_update", "bob", "mcp", "admin")}

    def recorded() -> set[tuple[str, str, str, str]]:
        events = [e for e in ctx.store.events.list(kind="tool") if e.data.get("token_id") == tokens.ids[token]]
        return {(e.name, e.user, e.face, e.data["scope"]) for e in events}

    assert eventually(lambda: recorded() >= expected), recorded()
    assert ctx.store.tokens.list(user="bob")[0].last_used_at is not None
    ctx.close()


def test_foreign_origin_is_refused(server: HttpServer, tokens: Tokens) -> None:
    r = Raw(server, tokens.alice["read"], origin="http://evil.example").request("initialize")
    assert r.status_code == 403 and r.json()["error"] == "forbidden_origin"
    ok = Raw(server, tokens.alice["read"], origin="http://localhost:5173").initialize()
    assert ok.call("settings_get").status_code == 200


def test_malformed_json_rpc_over_http(server: HttpServer, tokens: Tokens) -> None:
    raw = Raw(server, tokens.alice["read"]).initialize()
    bad = raw.post("{not json")
    assert bad.status_code == 400 and bad.json()["error"]["code"] == -32700
    assert raw.call("settings_get").status_code == 200
    huge = raw.post('{"jsonrpc": "2.0", "id": 9, "method": "ping", "params": {"pad": "' + "x" * 5_000_000 + '"}}')
    assert huge.status_code == 413 and huge.json()["error"] == "payload_too_large"
    assert raw.call("settings_get").status_code == 200


def test_resources_and_prompts_over_http(server: HttpServer, tokens: Tokens) -> None:
    with remote(lambda: http_session(server.url, tokens.bob["read"])) as bob:
        uris = {str(r.uri) for r in bob.list_resources().resources}
        assert {"echotune://settings", "echotune://catalog/stats"} <= uris
        assert json.loads(bob.read_resource("echotune://catalog/stats").contents[0].text)["tracks"] == 20405
        prompt = bob.get_prompt("weekly_recap", {"week": "2026-11-02"})
        assert "my listening for 2026-11-02, in a short style" in prompt.messages[0].content.text


def test_metrics_and_json_logs(server: HttpServer, tokens: Tokens) -> None:
    raw = Raw(server, tokens.alice["read"]).initialize()
    raw.call("catalog_get", {"track": "3e9HZxeyfWwjeyPAMmWSSQ"})
    raw.call("catalog_get", {"track": "nope"})
    assert raw.call("settings_update", {"key": "market", "value": "SE"}).status_code == 403
    metrics = httpx.get(f"{server.base}/metrics", timeout=10).text
    assert 'echotune_mcp_tool_calls_total{outcome="ok",tool="catalog_get"}' in metrics
    assert 'echotune_mcp_tool_errors_total{code="invalid_input",tool="catalog_get"}' in metrics
    assert 'echotune_mcp_tool_duration_seconds_bucket{le="0.005",tool="catalog_get"}' in metrics
    assert 'echotune_mcp_http_refusals_total{reason="insufficient_scope"}' in metrics
    records = [json.loads(line) for line in server.log_text().splitlines() if line.strip()]
    calls = [r for r in records if r.get("event") == "mcp.tool" and r["tool"] == "catalog_get"]
    assert {(r["user"], r["scope"], r["outcome"]) for r in calls} >= {
        ("alice", "read", "ok"),
        ("alice", "read", "error"),
    }
    assert all(isinstance(r["duration_ms"], float) for r in calls)


def test_binding_beyond_loopback_without_auth_is_refused(tmp_path: Path) -> None:
    done = subprocess.run(
        [EXE, "mcp", "--http", "--host", "0.0.0.0", "--no-auth"],
        capture_output=True,
        text=True,
        env=server_env(tmp_path),
        timeout=60,
    )
    assert done.returncode == 5 and "without auth" in done.stderr
