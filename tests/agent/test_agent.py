"""The real graph with the offline provider, end to end: multi-turn sessions, a session resumed from its
checkpoint by a new process, `echotune ask --json`, usage events, confirmation, the async API, concurrency."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from echotune.agent.api import Agent
from echotune.agent.events import ConfirmRequest, Done, Token, ToolEnd, ToolStart
from echotune.tools.context import Context
from echotune.tools.settings import read_settings


def test_multi_turn_session_with_references(agent_ctx: Context) -> None:
    with Agent(agent_ctx) as agent:
        first = agent.ask("find bohemian rhapsody", session="s1")
        assert [c.name for c in first.tool_calls] == ["catalog_search"]
        assert "Bohemian Rhapsody — Queen" in first.answer
        second = agent.ask("what are the audio features of the second one", session="s1")
        assert [c.name for c in second.tool_calls] == ["catalog_get"]
        assert second.tool_calls[0].args["track"] == first.tool_calls[0].result["tracks"][1]["id"]
        assert "bpm" in second.answer
        assert len(agent.messages("s1")) == 8
        assert agent.messages("other") == []
        agent.reset("s1")
        assert agent.messages("s1") == []


def echotune(data: Path, *args: str) -> subprocess.CompletedProcess[str]:
    exe = Path(sys.executable).parent / "echotune"
    env = os.environ | {"ECHOTUNE_DATA_DIR": str(data), "HF_HUB_OFFLINE": "1"}
    return subprocess.run([str(exe), *args], capture_output=True, text=True, env=env, timeout=180)


def test_session_resumes_in_a_new_process(agent_ctx: Context, warm: Path) -> None:
    agent_ctx.close()  # the subprocesses own the data dir now
    one = echotune(warm, "ask", "find hey jude", "--session", "trip", "--json")
    assert one.returncode == 0, one.stderr
    first = json.loads(one.stdout)
    assert first["session"] == "trip" and first["tool_calls"][0]["name"] == "catalog_search"
    two = echotune(warm, "ask", "tell me about the second one", "--session", "trip", "--json")
    assert two.returncode == 0, two.stderr
    second = json.loads(two.stdout)
    assert second["tool_calls"][0]["args"] == {"track": first["tool_calls"][0]["result"]["tracks"][1]["id"]}
    assert "Wilson Pickett" in second["answer"]
    assert (warm / "checkpoints.sqlite3").exists()


def test_ask_json_shape_and_usage_event(agent_ctx: Context, warm: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from echotune.cli import main

    assert main(["ask", "how big is the catalog", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert set(data) == {"answer", "session", "tool_calls", "usage", "steps"}
    (call,) = data["tool_calls"]
    assert set(call) >= {"name", "args", "result", "error"} and call["error"] is None
    assert data["usage"]["provider"] == "offline" and data["usage"]["tokens_in"] > 0
    assert data["usage"]["cost_usd"] == 0.0 and data["steps"] == 2
    import sqlite3
    from contextlib import closing

    with closing(sqlite3.connect(warm / "checkpoints.sqlite3")) as conn:  # a one-off ask leaves nothing behind
        assert conn.execute("SELECT count(*) FROM checkpoints").fetchone()[0] == 0
    events = agent_ctx.store.events.list(kind="llm")
    assert [(e.name, e.provider, e.face) for e in events] == [("offline/echotune-offline", "offline", "agent")]
    assert events[0].tokens_in == data["usage"]["tokens_in"] and events[0].data["tool_calls"] == 1


def test_ask_declines_acting_tools_without_yes(
    agent_ctx: Context, warm: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from echotune.cli import main

    assert main(["ask", "set diversity to 0.9"]) == 0
    out, err = capsys.readouterr()
    assert "did not run settings_update" in out and "--yes" in err
    assert read_settings(agent_ctx)[0] == 0
    assert main(["ask", "set diversity to 0.9", "--yes"]) == 0
    assert "recommendation.diversity is now 0.9" in capsys.readouterr().out
    assert main(["ask", "set diversity to 0.2", "--confirm", "never"]) == 0
    assert read_settings(agent_ctx)[1].recommendation.diversity == 0.2


def test_stream_events_and_approval_callback(agent_ctx: Context) -> None:
    seen: list[ConfirmRequest] = []

    def approve(request: ConfirmRequest) -> bool:
        seen.append(request)
        return True

    with Agent(agent_ctx, approve=approve) as agent:
        events = list(agent.stream("set diversity to 0.45", session="ev"))
    kinds = [type(e).__name__ for e in events]
    assert kinds[0] == "ConfirmRequest" and kinds[-1] == "Done"
    assert seen[0].calls[0].name == "settings_update" and seen[0].calls[0].effect == "act"
    assert any(isinstance(e, ToolStart) for e in events) and any(isinstance(e, ToolEnd) for e in events)
    tokens = "".join(e.text for e in events if isinstance(e, Token))
    assert tokens.strip() == events[-1].reply.answer
    assert read_settings(agent_ctx)[1].recommendation.diversity == 0.45


def test_a_confirmation_left_open_is_declined_next_turn(agent_ctx: Context) -> None:
    with Agent(agent_ctx) as agent:
        stream = agent.stream("set diversity to 0.8", session="open", approve=True)
        for event in stream:
            if isinstance(event, ConfirmRequest):
                break  # the person walked away (the process ended) at the prompt
        stream.close()
        assert agent.graph.get_state(agent._config("open")).interrupts
        reply = agent.ask("show my settings", session="open")
        assert [c.name for c in reply.tool_calls] == ["settings_get"]
        assert read_settings(agent_ctx)[0] == 0
        messages = agent.messages("open")
        tool_ids = {m.tool_call_id for m in messages if m.type == "tool"}
        assert all(c["id"] in tool_ids for m in messages if m.type == "ai" for c in m.tool_calls)


def test_astream_with_async_approver(agent_ctx: Context) -> None:
    async def approve(request: ConfirmRequest) -> bool:
        await asyncio.sleep(0)
        return request.calls[0].args["key"] == "market"

    async def run() -> list[object]:
        with Agent(agent_ctx) as agent:
            events = [e async for e in agent.astream("change my market to FR", session="a", approve=approve)]
            reply = await agent.aask("how big is the catalog", session="a")
            return [*events, reply]

    *events, reply = asyncio.run(run())
    assert isinstance(events[-1], Done) and read_settings(agent_ctx)[1].market == "FR"
    assert "20,405 tracks" in reply.answer


def test_concurrent_sessions(agent_ctx: Context) -> None:
    queries = ["find halo", "find hey jude", "show my settings", "how big is the catalog"]
    errors: list[BaseException] = []
    with Agent(agent_ctx) as agent:

        def worker(i: int) -> None:
            try:
                for q in (queries[i], queries[(i + 1) % 4]):
                    agent.ask(q, session=f"c{i}")
                agent.ask("find halo", session="shared")
            except BaseException as exc:
                errors.append(exc)

        threads = [threading.Thread(target=worker, args=(i,)) for i in range(4)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=120)
        assert not errors, errors
        for i in range(4):
            humans = [m.content for m in agent.messages(f"c{i}") if m.type == "human"]
            assert humans == [queries[i], queries[(i + 1) % 4]]
        assert len([m for m in agent.messages("shared") if m.type == "human"]) == 4


def test_provider_error_is_typed(agent_ctx: Context) -> None:
    from echotune.tools.errors import NotConfiguredError

    with Agent(agent_ctx) as agent, pytest.raises(NotConfiguredError, match="OPENAI_API_KEY"):
        agent.ask("hello", provider="openai")
