"""`analytics_system` / `echotune analytics system`: calls, p50/p95 latency and error rate per tool and face,
scopes, and provider tokens and cost, from known events (and from real tool calls)."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest

from echotune.cli import main
from echotune.tools.context import Context
from echotune.tools.models import Event
from echotune.tools.registry import call_tool
from tests.conftest import FrozenClock


def seed(ctx: Context, clock: FrozenClock) -> None:
    events = []
    for i in range(1, 21):  # catalog_search: 1..20 ms, two errors; via mcp with scope read
        events.append(Event(at=clock.now - timedelta(minutes=i), user="alice", kind="tool", name="catalog_search",
                            face="mcp", duration_ms=float(i), outcome="error" if i in (7, 13) else "ok",
                            error_code="invalid_input" if i in (7, 13) else None, data={"scope": "read"}))  # fmt: skip
    for i in range(4):
        events.append(Event(at=clock.now - timedelta(hours=2), user="bob", kind="tool", name="settings_get",
                            face="cli", duration_ms=100.0 + i))  # fmt: skip
    events.append(Event(at=clock.now - timedelta(days=40), user="bob", kind="tool", name="settings_get", face="cli",
                        duration_ms=999.0))  # fmt: skip
    for tokens_in, cost in ((1000, 0.002), (3000, 0.004)):
        events.append(
            Event(
                at=clock.now - timedelta(hours=1),
                user="alice",
                kind="llm",
                name="openai/gpt-x",
                face="agent",
                provider="openai",
                tokens_in=tokens_in,
                tokens_out=100,
                cost_usd=cost,
            )
        )
    events.append(
        Event(
            at=clock.now - timedelta(hours=1),
            user="alice",
            kind="llm",
            name="gemini/flash",
            face="agent",
            provider="gemini",
            tokens_in=50,
            tokens_out=5,
            cost_usd=0.0001,
        )
    )
    for e in events:
        ctx.store.events.record(e)


def test_numbers_from_known_events(empty_ctx: Context, clock: FrozenClock) -> None:
    seed(empty_ctx, clock)
    out = call_tool(empty_ctx, "analytics_system", {"period": "30d"})
    search, settings = out.tools[0], out.tools[1]
    assert (search.tool, search.calls, search.errors, search.error_rate) == ("catalog_search", 20, 2, 0.1)
    assert (search.p50_ms, search.p95_ms) == (10.5, 19.0)
    assert (settings.tool, settings.calls, settings.p50_ms, settings.p95_ms) == ("settings_get", 4, 101.5, 103.0)
    assert out.total.calls == 24 and out.total.errors == 2
    assert out.by_face == {"mcp": 20, "cli": 4} and out.by_scope == {"read": 20}
    assert out.error_codes == {"invalid_input": 2}
    assert [(p.provider, p.requests, p.tokens_in, p.tokens_out, p.cost_usd) for p in out.providers] == [
        ("openai", 2, 4000, 200, 0.006),
        ("gemini", 1, 50, 5, 0.0001),
    ]
    assert out.cost_usd == pytest.approx(0.0061)
    everything = call_tool(empty_ctx, "analytics_system", {"period": "all"})
    assert {t.tool: t.calls for t in everything.tools} == {
        "catalog_search": 20,
        "settings_get": 5,
        "analytics_system": 1,
    }  # the call above, too
    only_cli = call_tool(empty_ctx, "analytics_system", {"period": "30d", "face": "cli"})
    assert [t.tool for t in only_cli.tools] == ["settings_get"]
    recent = call_tool(empty_ctx, "analytics_system", {"period": "1h"})
    assert {t.tool: t.calls for t in recent.tools} == {"catalog_search": 20, "analytics_system": 3}
    assert recent.providers[0].requests == 2


def test_real_calls_are_counted_and_the_cli_prints_them(capsys, ctx: Context) -> None:
    call_tool(ctx, "catalog_search", {"query": "hey jude"})
    with pytest.raises(Exception, match="No track"):
        call_tool(ctx, "catalog_get", {"track": "0000000000000000000000"})
    assert main(["analytics", "system", "--period", "all", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    counts = {t["tool"]: (t["calls"], t["errors"]) for t in data["tools"]}
    assert counts["catalog_search"] == (1, 0) and counts["catalog_get"] == (1, 1)
    assert data["by_face"]["python"] == 2
    assert main(["analytics", "system", "--period", "all"]) == 0
    assert "catalog_search" in capsys.readouterr().out
