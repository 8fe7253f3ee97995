"""Record and replay: a run against a real loopback OpenAI-compatible server is recorded into a cache file; the
replayed run, with every socket connection refused, gives the same transcripts, verdicts and scores. A request
the recording never saw fails the case with a clear message."""

from __future__ import annotations

import json
import socket
from collections.abc import Iterator
from pathlib import Path

import pytest

from echotune.evals.agent_target import AgentTarget, Workspace
from echotune.evals.evaluate import build_judge
from echotune.evals.replay import ResponseCache
from echotune.evals.runner import RunReport, run
from echotune.evals.suite import Suite
from echotune.tools.config import Config, load_config
from echotune.tools.errors import InvalidInputError, NotFoundError
from tests.fakes.openai_api import FakeOpenAI

SUITE = Suite.model_validate(
    {
        "name": "replayed",
        "cases": [
            {
                "id": "search-then-answer",
                "turns": ["is there anything by the beatles called hey jude"],
                "expect": {
                    "tools_called": [{"name": "catalog_search", "args": {"query": {"regex": "hey jude"}}}],
                    "answer": {"contains": ["Hey Jude"]},
                    "rubric": "names the song the person asked about",
                },
            },
            {
                "id": "two-turns",
                "fixtures": {"player": {"now_playing": "bohemian rhapsody", "queue": ["hey jude by the beatles"]}},
                "turns": ["what's on", "and after that?"],
                "expect": {
                    "tools_called": [{"name": "player_now_playing"}, {"name": "queue_show"}],
                    "order": "in_order",
                },
            },
            {"id": "chat", "turns": ["hello there"], "expect": {"no_tools": True, "answer": {"contains": ["hi"]}}},
        ],
    }
)


def script(api: FakeOpenAI) -> None:
    """What the 'model' answers, in the order the cases ask (one case at a time), then the judge."""
    api.enqueue(tool_calls=[("catalog_search", {"query": "hey jude", "artist": "The Beatles", "limit": 3})])
    api.enqueue(text="I found Hey Jude by The Beatles.")
    api.enqueue(tool_calls=[("player_now_playing", {})])
    api.enqueue(text="Bohemian Rhapsody by Queen is playing.")
    api.enqueue(tool_calls=[("queue_show", {"limit": 5})])
    api.enqueue(text="Next up: Hey Jude.")
    api.enqueue(text="Hi! What would you like to hear?")
    api.enqueue(text="PASS: it names Hey Jude, the song asked about.")


@pytest.fixture
def api() -> Iterator[FakeOpenAI]:
    with FakeOpenAI() as server:
        yield server


def remote_config(api: FakeOpenAI, tmp_path: Path) -> Config:
    environ = {"ECHOTUNE_OPENAI_COMPATIBLE_BASE_URL": api.base_url, "ECHOTUNE_OPENAI_COMPATIBLE_API_KEY": api.api_key}
    return load_config({"data_dir": tmp_path / "unused"}, config_file=tmp_path / "absent.toml", environ=environ)


def evaluate(config: Config, cache: ResponseCache, workspace: Workspace, suite: Suite = SUITE) -> RunReport:
    judge = build_judge(config, "openai-compatible", "llama3.1", cache)
    with AgentTarget("openai-compatible", "llama3.1", config=config, cache=cache, workspace=workspace) as target:
        return run([suite], target, judge=judge)


def comparable(report: RunReport) -> list[dict]:
    """Everything a run produced except wall-clock times."""
    out = []
    for r in report.results:
        data = r.model_dump(mode="json", exclude={"latency_ms"})
        for turn in data["transcript"]["turns"]:
            turn.pop("latency_ms")
        out.append(data)
    return out


def block_network(monkeypatch: pytest.MonkeyPatch) -> list[object]:
    attempts: list[object] = []

    def refuse(self: socket.socket, address: object) -> None:
        attempts.append(address)
        raise ConnectionRefusedError(f"network blocked by the test: {address}")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket.socket, "connect_ex", refuse)
    return attempts


def test_replay_makes_no_network_call_and_gives_identical_results(
    api: FakeOpenAI, workspace: Workspace, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    config = remote_config(api, tmp_path)
    cache_file = tmp_path / "responses.json"
    script(api)
    recorded = evaluate(config, ResponseCache(cache_file, "record"), workspace)
    assert len(api.requests) == 8  # 7 agent requests and 1 judge request went to the server
    assert recorded.summary.passed == 3 and recorded.summary.skipped_checks == 0
    by_id = {r.case: r for r in recorded.results}
    assert by_id["search-then-answer"].transcript.tool_calls[0].result["tracks"][0]["title"] == "Hey Jude"
    assert any(
        c.kind == "llm_rubric" and c.message.startswith("judge: it names") for c in by_id["search-then-answer"].checks
    )
    assert recorded.summary.tokens_in > 0 and recorded.summary.tokens_out > 0

    doc = json.loads(cache_file.read_text())  # one readable JSON file
    entries = doc["entries"].values()
    assert len(entries) == 8 and all(e["provider"] == "openai-compatible" and e["model"] == "llama3.1" for e in entries)
    assert any(e["request"][-1].startswith("human: what's on") for e in entries)
    assert any("catalog_search" in e["tools"] for e in entries)

    attempts = block_network(monkeypatch)
    with pytest.raises(OSError, match="network blocked"):
        socket.create_connection(("127.0.0.1", int(api.base_url.rsplit(":", 1)[1].split("/")[0])))
    attempts.clear()
    replay = ResponseCache(cache_file, "replay")
    replayed = evaluate(config, replay, workspace)
    assert attempts == [] and len(api.requests) == 8  # nothing reached any server
    assert (replay.hits, replay.misses) == (8, 0)
    assert comparable(replayed) == comparable(recorded)
    assert replayed.summary.model_dump(exclude={"latency_p50_ms", "latency_p95_ms"}) == recorded.summary.model_dump(
        exclude={"latency_p50_ms", "latency_p95_ms"}
    )


def test_a_request_never_recorded_fails_the_case_clearly(
    api: FakeOpenAI, workspace: Workspace, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    config = remote_config(api, tmp_path)
    cache_file = tmp_path / "responses.json"
    script(api)
    evaluate(config, ResponseCache(cache_file, "record"), workspace)
    block_network(monkeypatch)
    changed = SUITE.model_copy(deep=True)
    changed.cases[2].turns[0].user = "good evening"
    result = evaluate(config, ResponseCache(cache_file, "replay"), workspace, changed)
    chat = next(r for r in result.results if r.case == "chat")
    assert not chat.passed
    assert "No recorded response for this openai-compatible/llama3.1 request" in chat.checks[0].message
    assert "human: good evening" in chat.checks[0].message
    assert [r.passed for r in result.results if r.case != "chat"] == [True, True]


def test_cache_file_errors(tmp_path: Path) -> None:
    with pytest.raises(NotFoundError, match="No recorded responses"):
        ResponseCache(tmp_path / "missing.json", "replay")
    (tmp_path / "other.json").write_text('{"some": "json"}')
    with pytest.raises(InvalidInputError, match="not a response cache"):
        ResponseCache(tmp_path / "other.json", "replay")
