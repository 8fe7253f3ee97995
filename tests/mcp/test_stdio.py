"""`echotune mcp` over stdio with the real mcp client (the server is a subprocess): the tool list is the
registry's, schemas are identical and fully described, every tool answers, typed errors are isError results,
resources and prompts work, and stdout carries JSON-RPC and nothing else."""

from __future__ import annotations

import json
import shlex
import subprocess
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from echotune.mcp_server.auth import required_scope
from echotune.mcp_server.resources import offered
from echotune.tools.registry import all_tools
from tests.mcp.conftest import (
    EXE,
    Remote,
    context_for,
    record_handshake,
    remote,
    server_env,
    stdio_session,
    text_of,
)


@pytest.fixture(scope="module")
def wire(mcp_data: Path) -> Path:
    return mcp_data / "stdout.jsonl"


@pytest.fixture(scope="module")
def stdio(mcp_data: Path, wire: Path) -> Iterator[Remote]:
    """One stdio server for the module, its stdout copied to a file on the way to the client. The handshake is
    recorded first, as by an earlier start, so the server answers it before the SDK has loaded (a first start,
    which leaves it to the SDK, is tested in test_startup.py)."""
    record_handshake(mcp_data)
    command = ["sh", "-c", f"{shlex.quote(EXE)} mcp | tee {shlex.quote(str(wire))}"]
    with (mcp_data / "stderr.log").open("w") as errlog, remote(lambda: stdio_session(mcp_data, errlog, command)) as r:
        yield r


def test_tool_list_is_the_registry_with_identical_schemas(stdio: Remote) -> None:
    listed = {t.name: t for t in stdio.list_tools().tools}
    registry = all_tools()
    assert list(listed) == list(registry)
    for name, spec in registry.items():
        tool = listed[name]
        assert tool.description == spec.description
        assert tool.input_schema == spec.input_schema(), name
        assert tool.output_schema == spec.output_schema(), name
        a = tool.annotations
        assert (a.read_only_hint, a.destructive_hint, a.idempotent_hint, a.open_world_hint) == (
            spec.read_only,
            spec.effect == "destroy",
            spec.idempotent,
            spec.open_world,
        ), name
        assert tool.meta["io.echotune/scope"] == required_scope(spec)


def _undescribed(schema: dict[str, Any], where: str, defs: dict[str, Any], seen: set[str]) -> list[str]:
    """Every property, at any depth (through $ref, anyOf, items), that has no description."""
    missing = []
    if "$ref" in schema:
        name = schema["$ref"].rsplit("/", 1)[-1]
        if name not in seen:
            seen.add(name)
            missing += _undescribed(defs[name], f"{where}<{name}>", defs, seen)
    for key in ("anyOf", "oneOf", "allOf"):
        for i, alt in enumerate(schema.get(key, [])):
            missing += _undescribed(alt, f"{where}|{i}", defs, seen)
    if isinstance(schema.get("items"), dict):
        missing += _undescribed(schema["items"], f"{where}[]", defs, seen)
    for prop, body in schema.get("properties", {}).items():
        described = body.get("description") or (
            "$ref" in body and defs[body["$ref"].rsplit("/", 1)[-1]].get("description")
        )
        if not described:
            missing.append(f"{where}.{prop}")
        missing += _undescribed(body, f"{where}.{prop}", defs, seen)
    return missing


def test_every_parameter_of_every_tool_is_described(stdio: Remote) -> None:
    missing = []
    for tool in stdio.list_tools().tools:
        schema = tool.input_schema
        missing += _undescribed(schema, tool.name, schema.get("$defs", {}), set())
    assert not missing, f"undescribed parameters: {missing}"


def test_the_schema_walk_finds_an_undescribed_nested_parameter() -> None:
    schema = {
        "properties": {"seed": {"$ref": "#/$defs/Seed", "description": "a seed"}},
        "$defs": {"Seed": {"properties": {"id": {"type": "string"}}, "description": "Seed."}},
    }
    assert _undescribed(schema, "t", schema["$defs"], set()) == ["t.seed<Seed>.id"]


def test_every_tool_answers_and_errors_are_results(stdio: Remote) -> None:
    for name in all_tools():
        result = stdio.call_tool(name, {})
        if result.is_error:
            code = text_of(result).split(":", 1)[0]
            assert code in {"invalid_input", "not_found", "not_configured", "conflict"}, (name, text_of(result))
        else:
            assert result.structured_content is not None, name
            assert json.loads(text_of(result)) == result.structured_content


def test_structured_output_and_typed_errors(stdio: Remote) -> None:
    found = stdio.call_tool("catalog_search", {"query": "hey jue", "limit": 2})
    assert not found.is_error
    assert [t["title"] for t in found.structured_content["tracks"]] == ["Hey Jude", "Hey Jude"]
    missing = stdio.call_tool("catalog_get", {"track": "0000000000000000000000"})
    assert missing.is_error and text_of(missing).startswith("not_found: No track 0000000000000000000000")
    assert "hint: " in text_of(missing)
    bad = stdio.call_tool("catalog_search", {"query": "x", "limit": 500})
    assert bad.is_error and "limit: Input should be less than or equal to 50" in text_of(bad)
    unknown = stdio.call_tool("catalog_search", {"query": "x", "bogus": 1})
    assert unknown.is_error and "bogus: Extra inputs are not permitted" in text_of(unknown)
    as_json_text = stdio.call_tool("catalog_search", {"query": "halo", "limit": "2"})
    assert not as_json_text.is_error and len(as_json_text.structured_content["tracks"]) == 2


def test_resources(stdio: Remote) -> None:
    listed = {str(r.uri): r for r in stdio.list_resources().resources}
    assert set(listed) == {r.uri for r in offered()}
    assert {"echotune://settings", "echotune://catalog/stats"} <= set(listed)
    settings = json.loads(stdio.read_resource("echotune://settings").contents[0].text)
    assert settings["user"] == "default" and settings["settings"]["market"] == "US"
    stats = json.loads(stdio.read_resource("echotune://catalog/stats").contents[0].text)
    assert stats["tracks"] == 20405
    assert listed["echotune://catalog/stats"].mime_type == "application/json"


def test_prompts_with_arguments(stdio: Remote) -> None:
    prompts = {p.name: p for p in stdio.list_prompts().prompts}
    assert set(prompts) == {"discover", "weekly_recap", "playlist_builder"}
    assert all(p.description and all(a.description for a in p.arguments or []) for p in prompts.values())
    assert [a.name for a in prompts["playlist_builder"].arguments if a.required] == ["theme"]
    got = stdio.get_prompt("playlist_builder", {"theme": "road trip", "length": "12"})
    text = got.messages[0].content.text
    assert "Build me a playlist: road trip." in text and "Length: 12 tracks" in text and "${" not in text


def test_stdout_is_only_json_rpc(stdio: Remote, wire: Path, mcp_data: Path) -> None:
    for name in all_tools():
        stdio.call_tool(name, {})
    for resource in offered():
        try:
            stdio.read_resource(resource.uri)
        except BaseException as exc:  # e.g. no history yet: a JSON-RPC error response is protocol too
            assert "No listening history" in str(exc) or "nothing" in str(exc).lower(), exc
    stdio.get_prompt("discover", {"mood": "rain"})
    stdio.ping()
    lines = wire.read_text(encoding="utf-8").splitlines()
    assert len(lines) > len(all_tools())
    assert "handshake answered from the cache" in (mcp_data / "stderr.log").read_text()
    for line in lines:
        message = json.loads(line)
        assert message["jsonrpc"] == "2.0" and ("id" in message or "method" in message), line[:200]


def test_malformed_json_rpc_gets_an_error_and_the_server_keeps_serving(mcp_data: Path) -> None:
    init = {"jsonrpc": "2.0", "id": 1, "method": "initialize",
            "params": {"protocolVersion": "2025-06-18", "capabilities": {}, "clientInfo": {"name": "t", "version": "1"}}}  # fmt: skip
    lines = [
        json.dumps(init),
        json.dumps({"jsonrpc": "2.0", "method": "notifications/initialized"}),
        "this is not json {",
        json.dumps({"jsonrpc": "2.0", "id": 7}),
        json.dumps({"jsonrpc": "2.0", "id": 2, "method": "tools/list"}),
        json.dumps({"jsonrpc": "2.0", "id": 3, "method": "no/such/method"}),
        json.dumps({"jsonrpc": "2.0", "id": 4, "method": "tools/call", "params": {"name": "analytics_system"}}),
    ]
    with subprocess.Popen([EXE, "mcp"], stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                          text=True, env=server_env(mcp_data)) as proc:  # fmt: skip
        killer = threading.Timer(60, proc.kill)  # a hung server fails the test instead of hanging it
        killer.start()
        try:
            proc.stdin.write("\n".join(lines) + "\n")
            proc.stdin.flush()
            replies = []
            while not {2, 3, 4} <= {r.get("id") for r in replies}:
                line = proc.stdout.readline()
                assert line, "the server closed stdout"
                replies.append(json.loads(line))
            proc.stdin.close()
            assert proc.wait(30) == 0
        finally:
            killer.cancel()
    errors = [r["error"]["code"] for r in replies if "error" in r and r["id"] is None]
    assert errors == [-32700, -32600]
    by_id = {r["id"]: r for r in replies if r["id"] is not None}
    assert len(by_id[2]["result"]["tools"]) == len(all_tools())
    assert by_id[3]["error"]["code"] == -32601
    assert by_id[4]["result"]["structuredContent"]["total"]["calls"] >= 0
    ctx = context_for(mcp_data)  # the batched analytics event was written before the process exited
    assert [(e.name, e.face) for e in ctx.store.events.list(kind="tool", limit=1)] == [("analytics_system", "mcp")]
    ctx.close()
