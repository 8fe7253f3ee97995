"""Unit tests of single functions: scope mapping, the token bucket, Origin rules, prompt files, the resource
table, JSON-text argument decoding, the JSON log formatter, start-up's garbage collection, where quick tools run
and the lock-free read of built services."""

from __future__ import annotations

import json
import logging
from dataclasses import replace
from datetime import datetime

import pytest

from echotune.mcp_server import resources
from echotune.mcp_server.auth import Caller, required_scope
from echotune.mcp_server.http import HttpOptions, RateLimiter, is_loopback, origin_allowed
from echotune.mcp_server.logs import JsonFormatter
from echotune.mcp_server.prompts import parse, prompt_files
from echotune.mcp_server.server import _decode_json_strings, json_string_fields
from echotune.tools.errors import NotConfiguredError
from echotune.tools.registry import all_tools


def test_scopes_follow_the_declarations() -> None:
    tools = all_tools()
    assert required_scope(tools["catalog_search"]) == "read"
    assert required_scope(tools["settings_update"]) == "admin"
    assert required_scope(tools["analytics_system"]) == "admin"
    act = replace(tools["catalog_get"], effect="act")  # e.g. player_play, playlist_create
    destroy = replace(tools["catalog_get"], effect="destroy")  # e.g. history_delete
    assert required_scope(act) == "control" and required_scope(destroy) == "admin"
    reader, controller = Caller("a", "read"), Caller("a", "control")
    assert reader.may_call(tools["catalog_get"]) and not reader.may_call(act)
    assert controller.may_call(act) and not controller.may_call(destroy)
    assert Caller("a", "admin").may_call(destroy)


def test_token_bucket() -> None:
    now = [100.0]
    limiter = RateLimiter(clock=lambda: now[0])
    assert [limiter.acquire("t", 3) for _ in range(3)] == [0, 0, 0]
    assert limiter.acquire("t", 3) == pytest.approx(20.0)
    now[0] += 10
    assert limiter.acquire("t", 3) == pytest.approx(10.0)
    now[0] += 10
    assert limiter.acquire("t", 3) == 0
    assert limiter.acquire("other", 3) == 0


def test_origins_and_loopback() -> None:
    local = HttpOptions()
    assert origin_allowed("http://localhost:3000", local) and origin_allowed("http://[::1]:80", local)
    assert not origin_allowed("http://evil.example", local) and not origin_allowed("null", local)
    public = HttpOptions(host="0.0.0.0", allowed_origins=("https://app.example",))
    assert origin_allowed("https://app.example", public) and not origin_allowed("http://localhost:3000", public)
    assert is_loopback("127.0.0.2") and is_loopback("::1") and not is_loopback("0.0.0.0")
    assert public.auth_required and not local.auth_required and HttpOptions(auth=True).auth_required
    with pytest.raises(NotConfiguredError, match="without auth"):
        _ = HttpOptions(host="0.0.0.0", auth=False).auth_required


def test_prompt_files_render_arguments() -> None:
    files = {p.name: p for p in prompt_files()}
    assert set(files) == {"discover", "weekly_recap", "playlist_builder"}
    text = files["discover"].render({"mood": "focus"})
    assert "Mood or activity: focus" in text and "Number of suggestions: 10" in text
    with pytest.raises(ValueError, match="theme is required"):
        files["playlist_builder"].render({})
    with pytest.raises(ValueError, match="unknown argument"):
        files["discover"].render({"colour": "blue"})
    with pytest.raises(ValueError, match="has no description"):
        parse("bad", '+++\ntitle = "t"\ndescription = "d"\n[arguments.x]\n+++\nbody\n')


def test_resources_appear_when_their_tool_exists(monkeypatch: pytest.MonkeyPatch) -> None:
    assert {r.tool for r in resources.offered()} == {r.tool for r in resources.RESOURCES}, "every tool is merged now"
    extra = resources.ResourceSpec("echotune://catalog/hey-jude", "catalog_get", "x", "X", {"track": "x"})
    monkeypatch.setattr(resources, "RESOURCES", (*resources.RESOURCES, extra))
    assert extra in resources.offered()
    writer = resources.ResourceSpec("echotune://bad", "settings_update", "bad", "Bad")
    monkeypatch.setattr(resources, "RESOURCES", (writer,))
    assert resources.offered() == [], "a tool that changes things is never a resource"


def test_arrays_sent_as_json_text_are_decoded() -> None:
    schema = {"properties": {"ids": {"type": "array"}, "name": {"type": "string"},
                             "seed": {"anyOf": [{"$ref": "#/$defs/S"}, {"type": "null"}]}}}  # fmt: skip
    fields = json_string_fields(schema)
    assert fields == {"ids", "seed"}
    got = _decode_json_strings({"ids": '["a","b"]', "name": '["x"]', "seed": "not json"}, fields)
    assert got == {"ids": ["a", "b"], "name": '["x"]', "seed": "not json"}


def test_json_log_lines_carry_the_extra_fields() -> None:
    record = logging.makeLogRecord({"name": "echotune.mcp", "levelno": 20, "levelname": "INFO",
                                    "msg": "tool %s", "args": ("x",), "tool": "x", "duration_ms": 1.5})  # fmt: skip
    line = json.loads(JsonFormatter().format(record))
    assert line["message"] == "tool x" and line["tool"] == "x" and line["duration_ms"] == 1.5
    assert line["level"] == "info" and line["logger"] == "echotune.mcp"


def test_batched_events_are_written_flushed_and_never_raise(empty_ctx, caplog: pytest.LogCaptureFixture) -> None:
    from echotune.mcp_server.events import BatchedEvents
    from echotune.tools.models import Event

    events = BatchedEvents(empty_ctx.store.events)
    for i in range(1200):
        events.record(Event(at=empty_ctx.clock(), user="u", kind="tool", name=f"t{i}"))
    assert len(events.list(kind="tool", limit=5000)) == 1200  # list() waits for the queue
    broken = BatchedEvents(empty_ctx.store.events)
    broken.inner = None  # type: ignore[assignment]
    broken.record(Event(at=empty_ctx.clock(), user="u", kind="tool", name="lost"))
    broken.flush()  # returns: a failed batch is logged, not raised, and never blocks the queue
    assert "could not write 1 analytics events" in caplog.text


def test_start_up_collects_no_garbage_then_collection_resumes() -> None:
    import gc

    from echotune.mcp_server.run import starting_up

    assert gc.isenabled() and gc.get_freeze_count() == 0
    try:
        with starting_up():
            assert not gc.isenabled()
        assert gc.isenabled() and gc.get_freeze_count() > 0, "what start-up built is frozen"
    finally:
        gc.unfreeze()


def test_quick_tools_run_on_the_event_loop_only_when_allowed(ctx) -> None:
    """settings_get is quick: inline on the loop's thread once allowed; before that, and for other tools, on a
    worker thread. The clock (read by every call's event) tells which thread ran the call."""
    import threading

    import anyio

    from echotune.mcp_server.observe import Observer
    from echotune.mcp_server.server import Calls
    from echotune.tools.listings import ToolListing

    ran_on: list[int] = []

    def clock() -> datetime:
        ran_on.append(threading.get_ident())
        return ctx.clock()

    allowed = [False]
    calls = Calls(replace(ctx, clock=clock), lambda: Caller(ctx.user, "admin"), Observer(), lambda: allowed[0])
    tools = all_tools()
    quick, other = ToolListing.of(tools["settings_get"]), ToolListing.of(tools["catalog_search"])
    assert quick.quick and not other.quick

    async def run(spec: ToolListing, arguments: dict) -> int:
        ran_on.clear()
        result = await calls.call(spec, arguments, frozenset())
        assert not result.is_error, result
        return ran_on[-1]

    async def main() -> None:
        loop = threading.get_ident()
        assert await run(quick, {}) != loop  # not yet allowed (the server is warming up)
        allowed[0] = True
        assert await run(quick, {}) == loop
        assert await run(other, {"query": "love"}) != loop

    anyio.run(main)


def test_built_services_are_read_without_waiting_for_one_being_built(empty_ctx) -> None:
    """A quick tool on the event loop reads ctx.lazy services; one still being built elsewhere must not block it."""
    import threading

    assert empty_ctx.lazy("built", lambda: 1) == 1
    building, release, finished = threading.Event(), threading.Event(), []

    def slow() -> int:
        building.set()
        release.wait(10)
        finished.append(True)
        return 2

    builder = threading.Thread(target=lambda: empty_ctx.lazy("slow", slow))
    builder.start()
    assert building.wait(10)
    assert empty_ctx.lazy("built", lambda: 3) == 1
    assert not finished, "the read waited for the slow build"
    release.set()
    builder.join()
    assert empty_ctx.lazy("slow", lambda: 4) == 2
