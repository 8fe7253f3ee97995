"""Start-up stays light: building the whole MCP server (every registry tool, resources, prompts) imports none of
the heavy libraries; they load on first use. A server whose data folder holds the cached tool listing answers
tools/list without importing any tool module or opening the store, and that listing is always the registry's.
The time goal itself is measured in benchmarks/mcp.py."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import threading
import time
from pathlib import Path

import orjson
import pytest

import echotune.tools
from echotune.mcp_server.events import ServerStore
from echotune.tools.listings import ToolListing, source_key, tool_listings
from echotune.tools.registry import TOOL_MODULES, all_tools
from tests.mcp.conftest import EXE, server_env

HEAVY = ("torch", "faiss", "sentence_transformers", "transformers", "langchain", "langchain_core", "langgraph",
         "numpy", "rapidfuzz", "spotipy", "pymongo", "redis", "sklearn", "plotly")  # fmt: skip

BUILD = """
import json, sys
from echotune.mcp_server.server import build_server
from echotune.tools.context import Context
server = build_server(Context.from_config(face="mcp"))
print(json.dumps(sorted({m.split(".")[0] for m in sys.modules})))
"""


def test_building_the_server_imports_nothing_heavy(tmp_path: Path) -> None:
    done = subprocess.run([sys.executable, "-c", BUILD], capture_output=True, text=True, env=server_env(tmp_path),
                          check=True, timeout=120)  # fmt: skip
    loaded = set(json.loads(done.stdout.splitlines()[-1]))
    assert not loaded & set(HEAVY), sorted(loaded & set(HEAVY))


# -- answering tools/list from the cached listing -------------------------------------------------------------

LIST_TOOLS = """
import json, sys
import anyio
from echotune.mcp_server.events import server_context
from echotune.mcp_server.server import build_server
from echotune.tools.config import load_config
server = build_server(server_context(load_config()))
tools = anyio.run(server.list_tools)
print(json.dumps({"tools": [t.name for t in tools], "modules": sorted(sys.modules)}))
"""


def test_a_second_server_lists_tools_without_importing_them_or_opening_the_store(tmp_path: Path) -> None:
    def list_tools() -> dict[str, list[str]]:
        done = subprocess.run([sys.executable, "-c", LIST_TOOLS], capture_output=True, text=True,
                              env=server_env(tmp_path), check=True, timeout=120)  # fmt: skip
        return json.loads(done.stdout.splitlines()[-1])

    first = list_tools()  # derives the listing from the registry and caches it
    assert len(list(tmp_path.glob("cache/tool-listings-*.json"))) == 1
    second = list_tools()
    assert first["tools"] == second["tools"] == list(all_tools())
    tool_modules = {f"echotune.tools.{m}" for m in TOOL_MODULES}
    assert tool_modules <= set(first["modules"])
    assert not set(second["modules"]) & (tool_modules | {"echotune.tools.models", "sqlite3"})
    assert not (tmp_path / "echotune.sqlite3").exists(), "the store opens on the first tool call, not before"


def test_cached_listings_are_the_registry(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    derived = tool_listings(tmp_path)
    (path,) = tmp_path.glob("tool-listings-*.json")
    cached = tool_listings(tmp_path)
    assert list(cached) == list(all_tools()) and cached == derived
    for name, spec in all_tools().items():
        assert cached[name] == ToolListing.of(spec)
        assert cached[name].input_schema == spec.input_schema() and cached[name].output_schema == spec.output_schema()

    raw = orjson.loads(path.read_bytes())
    raw[0]["description"] = "read from the cache"
    path.write_bytes(orjson.dumps(raw))
    assert next(iter(tool_listings(tmp_path).values())).description == "read from the cache"

    path.write_text("{ not json")
    assert tool_listings(tmp_path) == derived, "an unreadable cache is derived again"
    assert "unreadable tool listing cache" in caplog.text
    assert orjson.loads(path.read_bytes())[0]["description"] == derived[raw[0]["name"]].description


def test_any_edited_source_gives_a_new_key(tmp_path: Path) -> None:
    copy = tmp_path / "tools"
    shutil.copytree(Path(echotune.tools.__path__[0]), copy, ignore=shutil.ignore_patterns("data", "__pycache__"))
    before = source_key([copy])
    assert source_key([copy]) == before
    models = copy / "models.py"
    models.write_text(models.read_text(encoding="utf-8") + "\n# a changed model\n", encoding="utf-8")
    edited = source_key([copy])
    (copy / "store" / "new_module.py").write_text("x = 1\n", encoding="utf-8")
    assert len({before, edited, source_key([copy])}) == 3


def test_tool_modules_import_only_echotune_tools() -> None:
    """The cache key hashes echotune.tools only, so the tools and their models may import nothing else of
    EchoTune (else an edit there could leave a stale listing)."""
    code = ("import json, sys; from echotune.tools.registry import all_tools; all_tools(); "
            "print(json.dumps(sorted(m for m in sys.modules if m.startswith('echotune'))))")  # fmt: skip
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=120)
    loaded = json.loads(done.stdout.splitlines()[-1])
    assert [m for m in loaded if m != "echotune" and not m.startswith("echotune.tools")] == []


def test_the_server_store_opens_on_first_use() -> None:
    opened: list[FakeStore] = []

    def open_store() -> FakeStore:
        opened.append(FakeStore())
        return opened[-1]

    store = ServerStore(open_store)  # type: ignore[arg-type]
    store.close()
    assert opened == [], "closing a store never used opens nothing"
    assert store.location == "fake" and len(opened) == 1
    store.events.record("e")  # type: ignore[arg-type]
    store.close()
    assert opened[0].recorded == [["e"]] and opened[0].closed and len(opened) == 1


class FakeStore:
    """Unit-test stand-in: a store with an events repository that remembers what was written."""

    location = "fake"

    def __init__(self) -> None:
        self.recorded: list[list[object]] = []
        self.closed = False
        self.events = self

    def record_many(self, events: list[object]) -> None:
        self.recorded.append(list(events))

    def close(self) -> None:
        self.closed = True


def test_after_listing_tools_the_stdio_server_warms_up_in_the_background(tmp_path: Path) -> None:
    """Nothing is called, yet the store gets opened (the warm-up also imports the tool modules)."""
    init = {"jsonrpc": "2.0", "id": 1, "method": "initialize",
            "params": {"protocolVersion": "2025-06-18", "capabilities": {}, "clientInfo": {"name": "t", "version": "1"}}}  # fmt: skip
    with subprocess.Popen([EXE, "mcp"], stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                          text=True, env=server_env(tmp_path)) as proc:  # fmt: skip
        assert proc.stdin and proc.stdout and proc.stderr
        killer = threading.Timer(120, proc.kill)  # a hung server fails the test instead of hanging it
        killer.start()
        try:
            proc.stdin.write(json.dumps(init) + "\n")
            proc.stdin.flush()
            assert json.loads(proc.stdout.readline())["id"] == 1
            assert not (tmp_path / "echotune.sqlite3").exists()
            proc.stdin.write('{"jsonrpc":"2.0","method":"notifications/initialized"}\n')
            proc.stdin.write('{"jsonrpc":"2.0","id":2,"method":"tools/list"}\n')
            proc.stdin.flush()
            assert len(json.loads(proc.stdout.readline())["result"]["tools"]) == len(all_tools())
            while not (tmp_path / "echotune.sqlite3").exists() and proc.poll() is None:
                time.sleep(0.05)
            proc.stdin.write('{"jsonrpc":"2.0","id":3,"method":"tools/call","params":{"name":"settings_get"}}\n')
            proc.stdin.flush()
            assert json.loads(proc.stdout.readline())["result"]["isError"] is False
            proc.stdin.close()
            assert proc.wait(30) == 0
        finally:
            killer.cancel()
        assert "warming up failed" not in proc.stderr.read()


def _handshake(data: Path, version: str) -> tuple[dict, dict, dict, str]:
    """One server start: initialize at `version`, tools/list, a tool call; the three replies and its stderr."""
    init = {"jsonrpc": "2.0", "id": "init", "method": "initialize",
            "params": {"protocolVersion": version, "capabilities": {}, "clientInfo": {"name": "t", "version": "1"}}}  # fmt: skip
    with subprocess.Popen([EXE, "mcp"], stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                          text=True, env=server_env(data)) as proc:  # fmt: skip
        assert proc.stdin and proc.stdout and proc.stderr
        killer = threading.Timer(120, proc.kill)  # a hung server fails the test instead of hanging it
        killer.start()
        try:
            proc.stdin.write(json.dumps(init) + "\n")
            proc.stdin.flush()
            initialized = json.loads(proc.stdout.readline())
            proc.stdin.write('{"jsonrpc":"2.0","method":"notifications/initialized"}\n')
            proc.stdin.write('{"jsonrpc":"2.0","id":2,"method":"tools/list"}\n')
            proc.stdin.write('{"jsonrpc":"2.0","id":3,"method":"tools/call","params":{"name":"settings_get"}}\n')
            proc.stdin.close()  # everything asked is answered before the server exits
            listed, called = (json.loads(line) for line in proc.stdout.read().splitlines())
            assert proc.wait(30) == 0
        finally:
            killer.cancel()
        return initialized, listed, called, proc.stderr.read()


def test_later_starts_answer_the_handshake_from_the_recording_of_the_first(tmp_path: Path) -> None:
    """The first start leaves the handshake to the SDK and records the SDK's answers; the next ones answer
    from the recording before the SDK has loaded, byte for byte what the SDK said, in every protocol version
    (an unknown one is offered the latest), and the SDK still serves the calls that follow."""
    cache = tmp_path / "cache"
    for version in ("2025-06-18", "2024-11-05", "1999-01-01"):
        first = _handshake(tmp_path, version) if version == "2025-06-18" else None
        later = _handshake(tmp_path, version)
        assert "handshake answered from the cache" in later[3] and "differs" not in later[3], later[3]
        assert later[0]["id"] == "init" and later[0]["result"]["serverInfo"]["name"] == "echotune"
        assert later[0]["result"]["protocolVersion"] == ("2025-11-25" if version == "1999-01-01" else version)
        assert len(later[1]["result"]["tools"]) == len(all_tools())
        assert later[2]["id"] == 3 and later[2]["result"]["isError"] is False
        if first is not None:
            assert "handshake left to the SDK" in first[3]
            assert first[:2] == later[:2]
            assert [p.name.split("-")[1] for p in cache.glob("mcp-handshake-*.json")] == ["handshake"]


def test_a_recording_the_sdk_disagrees_with_is_dropped_and_recorded_again(tmp_path: Path) -> None:
    _handshake(tmp_path, "2025-06-18")
    (recording,) = (tmp_path / "cache").glob("mcp-handshake-*.json")
    tampered = orjson.loads(recording.read_bytes())
    tampered["answers"]["2025-06-18"]["initialize"]["instructions"] = "stale"
    recording.write_bytes(orjson.dumps(tampered))
    served, _, _, stderr = _handshake(tmp_path, "2025-06-18")
    assert served["result"]["instructions"] == "stale"  # answered before the SDK could know better ...
    assert "differs from the server's own answer" in stderr  # ... but checked against it once it loaded
    again, _, _, stderr = _handshake(tmp_path, "2025-06-18")
    assert "handshake left to the SDK" in stderr and again["result"]["instructions"] != "stale"
    assert recording.exists() and orjson.loads(recording.read_bytes()) != tampered


def test_an_unreadable_recording_is_ignored(tmp_path: Path) -> None:
    _handshake(tmp_path, "2025-06-18")
    (recording,) = (tmp_path / "cache").glob("mcp-handshake-*.json")
    recording.write_text("{not json")
    initialized, listed, called, stderr = _handshake(tmp_path, "2025-06-18")
    assert "ignoring the unreadable MCP handshake cache" in stderr and "handshake left to the SDK" in stderr
    assert initialized["result"]["serverInfo"]["name"] == "echotune" and called["result"]["isError"] is False
    assert len(listed["result"]["tools"]) == len(all_tools())
