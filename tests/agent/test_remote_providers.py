"""The remote providers with their real client libraries pointed at loopback servers that speak the providers'
APIs: openai-compatible, openai and openrouter (OpenAI chat completions) and gemini (generateContent), with tool
calls and streaming through the real agent graph, and their error paths."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from echotune.agent.api import Agent
from echotune.agent.events import Token
from echotune.tools.config import load_config
from echotune.tools.context import Context
from echotune.tools.errors import NotConfiguredError, RateLimitedError, UpstreamError
from echotune.tools.registry import all_tools
from tests.fakes.gemini_api import FakeGemini
from tests.fakes.openai_api import FakeOpenAI


@pytest.fixture
def api() -> Iterator[FakeOpenAI]:
    with FakeOpenAI() as server:
        yield server


def context_with(ctx: Context, monkeypatch: pytest.MonkeyPatch, **env: str) -> Context:
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    from dataclasses import replace

    return replace(ctx, config=load_config())


def test_openai_compatible_tool_calls_and_streaming(
    ctx: Context, api: FakeOpenAI, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    (tmp_path / "config.toml").write_text('[llm_prices."openai-compatible/llama3.1"]\ninput = 1.0\noutput = 2.0\n')
    local = context_with(ctx, monkeypatch, ECHOTUNE_OPENAI_COMPATIBLE_BASE_URL=api.base_url,
                         OPENAI_COMPATIBLE_API_KEY=api.api_key)  # fmt: skip
    api.enqueue(tool_calls=[("catalog_search", {"query": "hey jude", "limit": 2})])
    api.enqueue(text="I found Hey Jude by The Beatles.")
    with Agent(local, provider="openai-compatible", model="llama3.1") as agent:
        events = list(agent.stream("find hey jude", session="remote"))
    reply = events[-1].reply
    assert reply.answer == "I found Hey Jude by The Beatles."
    assert "".join(e.text for e in events if isinstance(e, Token)).strip() == reply.answer
    assert sum(isinstance(e, Token) for e in events) >= 5  # streamed word by word
    assert reply.tool_calls[0].result["tracks"][0]["title"] == "Hey Jude"
    # what the client sent: streaming, every registry tool with its schema, the system prompt, the tool result
    first, second = api.requests
    assert first["stream"] is True and first["model"] == "llama3.1"
    sent = {t["function"]["name"]: t["function"] for t in first["tools"]}
    assert set(sent) == set(all_tools())
    assert sent["catalog_search"]["description"] == all_tools()["catalog_search"].description
    assert first["messages"][0]["role"] == "system" and "never instructions" in first["messages"][0]["content"]
    tool_msg = second["messages"][-1]
    assert tool_msg["role"] == "tool" and json.loads(tool_msg["content"])["tracks"][0]["title"] == "Hey Jude"
    assert tool_msg["tool_call_id"] == second["messages"][-2]["tool_calls"][0]["id"]
    # tokens and cost per turn, from the server's usage and the price table
    usage = reply.usage
    assert usage.requests == 2 and usage.tokens_in > 0 and usage.tokens_out > 0
    assert usage.cost_usd == pytest.approx((usage.tokens_in * 1.0 + usage.tokens_out * 2.0) / 1e6)
    (event,) = ctx.store.events.list(kind="llm")
    assert event.name == "openai-compatible/llama3.1" and event.tokens_out == usage.tokens_out


def test_openai_and_openrouter_accept_a_base_url(
    ctx: Context, api: FakeOpenAI, monkeypatch: pytest.MonkeyPatch
) -> None:
    for provider, env in (
        ("openai", {"ECHOTUNE_OPENAI_BASE_URL": api.base_url, "OPENAI_API_KEY": api.api_key}),
        ("openrouter", {"ECHOTUNE_OPENROUTER_BASE_URL": api.base_url, "OPENROUTER_API_KEY": api.api_key}),
    ):
        remote = context_with(ctx, monkeypatch, **env)
        api.enqueue(text=f"hello from {provider}")
        with Agent(remote, provider=provider, checkpointer="memory") as agent:
            assert agent.ask("hi").answer == f"hello from {provider}"
    assert api.requests[0]["model"] == "gpt-4o-mini" and api.requests[1]["model"] == "openai/gpt-4o-mini"
    assert {k.lower(): v for k, v in api.headers[1].items()}.get("x-title") == "EchoTune"


def test_openai_compatible_error_paths(ctx: Context, api: FakeOpenAI, monkeypatch: pytest.MonkeyPatch) -> None:
    wrong = context_with(ctx, monkeypatch, ECHOTUNE_OPENAI_COMPATIBLE_BASE_URL=api.base_url,
                         OPENAI_COMPATIBLE_API_KEY="wrong")  # fmt: skip
    with (
        Agent(wrong, provider="openai-compatible", model="m", checkpointer="memory") as agent,
        pytest.raises(NotConfiguredError, match="refused the API key"),
    ):
        agent.ask("hi")
    right = context_with(ctx, monkeypatch, OPENAI_COMPATIBLE_API_KEY=api.api_key)
    for _ in range(2):  # the client retries once
        api.enqueue(status=429, error="slow down", headers={"retry-after": "7", "retry-after-ms": "5"})
    with (
        Agent(right, provider="openai-compatible", model="m", checkpointer="memory") as agent,
        pytest.raises(RateLimitedError) as info,
    ):
        agent.ask("hi")
    assert info.value.retry_after == 7.0
    gone = context_with(ctx, monkeypatch, ECHOTUNE_OPENAI_COMPATIBLE_BASE_URL="http://127.0.0.1:9/v1")
    with (
        Agent(gone, provider="openai-compatible", model="m", checkpointer="memory") as agent,
        pytest.raises(UpstreamError, match="Could not reach openai-compatible"),
    ):
        agent.ask("hi")


def test_gemini_against_a_loopback_gemini_api(ctx: Context, monkeypatch: pytest.MonkeyPatch) -> None:
    with FakeGemini() as gemini:
        remote = context_with(ctx, monkeypatch, ECHOTUNE_GEMINI_BASE_URL=gemini.base_url, GOOGLE_API_KEY=gemini.api_key)
        gemini.enqueue(tool_calls=[("catalog_stats", {"top": 3})])
        gemini.enqueue(text="The catalog has 20,405 tracks.")
        with Agent(remote, provider="gemini", checkpointer="memory") as agent:
            events = list(agent.stream("how big is the catalog"))
        reply = events[-1].reply
        assert reply.answer.strip() == "The catalog has 20,405 tracks."
        assert reply.tool_calls[0].name == "catalog_stats" and reply.tool_calls[0].result["tracks"] == 20405
        assert sum(isinstance(e, Token) for e in events) >= 3
        assert all(":streamGenerateContent" in p and "gemini-2.5-flash" in p for p in gemini.paths)
        declared = {f["name"] for t in gemini.requests[0]["tools"] for f in t["functionDeclarations"]}
        assert declared == set(all_tools())
        assert "never instructions" in json.dumps(gemini.requests[0]["systemInstruction"])
        assert reply.usage.tokens_in > 0 and reply.usage.provider == "gemini"

        wrong = context_with(ctx, monkeypatch, GOOGLE_API_KEY="wrong")
        with (
            Agent(wrong, provider="gemini", checkpointer="memory") as agent,
            pytest.raises(NotConfiguredError, match="gemini refused the API key"),
        ):
            agent.ask("hi")
