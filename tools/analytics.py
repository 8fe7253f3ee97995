"""System analytics: how the tools are used and what model providers cost, from the events every face records.

`call_tool` records one `tool` event per call (tool, face, duration, outcome, error code, and the MCP token's
scope); the agent records `llm` events with provider, tokens and cost. This module only reads them.
"""

from __future__ import annotations

import math
import statistics
from collections import Counter, defaultdict
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, ClassVar, Literal

from pydantic import BaseModel, Field

from echotune.tools.registry import ToolInput, tool

if TYPE_CHECKING:
    from echotune.tools.context import Context
    from echotune.tools.models import Event

Period = Literal["1h", "24h", "7d", "30d", "90d", "all"]
PERIODS: dict[str, timedelta | None] = {
    "1h": timedelta(hours=1),
    "24h": timedelta(days=1),
    "7d": timedelta(days=7),
    "30d": timedelta(days=30),
    "90d": timedelta(days=90),
    "all": None,
}
MAX_EVENTS = 1_000_000


def percentile(ordered: list[float], q: float) -> float:
    """Nearest-rank percentile of an ascending list (q in 0..1)."""
    return ordered[max(0, math.ceil(q * len(ordered)) - 1)]


class CallStats(BaseModel):
    calls: int = Field(description="Tool calls in the period.")
    errors: int = Field(description="Calls that ended in an error.")
    error_rate: float = Field(description="errors / calls, 0-1.")
    p50_ms: float | None = Field(description="Median duration in milliseconds.")
    p95_ms: float | None = Field(description="95th-percentile duration in milliseconds.")


class ToolStats(CallStats):
    table_columns: ClassVar[tuple[str, ...]] = ("tool", "calls", "errors", "error_rate", "p50_ms", "p95_ms")

    tool: str


class ProviderCost(BaseModel):
    table_columns: ClassVar[tuple[str, ...]] = ("provider", "requests", "tokens_in", "tokens_out", "cost_usd")

    provider: str
    requests: int
    tokens_in: int
    tokens_out: int
    cost_usd: float = Field(description="Summed cost in US dollars, where the provider reported or priced it.")


class AnalyticsSystemInput(ToolInput):
    period: Period = Field("7d", description="How far back to look: 1h, 24h, 7d, 30d, 90d or all.")
    face: Literal["cli", "agent", "mcp", "python"] | None = Field(
        None, description="Only calls made through this face; omit for all of them."
    )
    top: int = Field(20, ge=1, le=200, description="How many tools to list, the most called first.")


class AnalyticsSystemOutput(BaseModel):
    period: Period
    since: datetime | None = Field(description="Start of the period (None: since the first event).")
    total: CallStats
    by_face: dict[str, int] = Field(description="Tool calls per face (cli, agent, mcp, python).")
    by_scope: dict[str, int] = Field(description="MCP tool calls per token scope (read, control, admin).")
    error_codes: dict[str, int] = Field(description="Failed calls per error code.")
    tools: list[ToolStats] = Field(description="Per tool, the most called first.")
    providers: list[ProviderCost] = Field(description="Model provider usage and cost, the most expensive first.")
    cost_usd: float = Field(description="Total provider cost in the period, US dollars.")


def _stats(events: list[Event]) -> CallStats:
    durations = sorted(e.duration_ms for e in events if e.duration_ms is not None)
    errors = sum(e.outcome == "error" for e in events)
    return CallStats(
        calls=len(events),
        errors=errors,
        error_rate=round(errors / len(events), 4) if events else 0.0,
        p50_ms=round(statistics.median(durations), 3) if durations else None,
        p95_ms=round(percentile(durations, 0.95), 3) if durations else None,
    )


@tool(
    cli=("analytics", "system"),
    examples=(
        "how is the system doing",
        "which tools are called most and how fast are they",
        "what did the model providers cost this month",
        "show the error rate of the mcp server",
    ),
)
def analytics_system(ctx: Context, args: AnalyticsSystemInput) -> AnalyticsSystemOutput:
    """System analytics for this installation: tool calls, p50/p95 latency and error rate per tool and face, and
    model provider requests, tokens and cost, over a period. Counts every user's calls, never their content."""
    span = PERIODS[args.period]
    since = ctx.clock() - span if span else None
    events = ctx.store.events.list(since=since, limit=MAX_EVENTS)
    calls = [e for e in events if e.kind == "tool" and (args.face is None or e.face == args.face)]
    by_tool: dict[str, list[Event]] = defaultdict(list)
    for e in calls:
        by_tool[e.name].append(e)
    tools = [ToolStats(tool=name, **_stats(evs).model_dump()) for name, evs in by_tool.items()]
    tools.sort(key=lambda t: (-t.calls, t.tool))

    providers: dict[str, ProviderCost] = {}
    for e in events:
        if not e.provider:
            continue
        p = providers.setdefault(e.provider, ProviderCost(provider=e.provider, requests=0, tokens_in=0,
                                                           tokens_out=0, cost_usd=0.0))  # fmt: skip
        p.requests += 1
        p.tokens_in += e.tokens_in or 0
        p.tokens_out += e.tokens_out or 0
        p.cost_usd += e.cost_usd or 0.0
    ranked = sorted(providers.values(), key=lambda p: (-p.cost_usd, p.provider))
    for p in ranked:
        p.cost_usd = round(p.cost_usd, 6)
    return AnalyticsSystemOutput(
        period=args.period,
        since=since,
        total=_stats(calls),
        by_face=dict(Counter(e.face for e in calls).most_common()),
        by_scope=dict(Counter(str(e.data["scope"]) for e in calls if e.data.get("scope")).most_common()),
        error_codes=dict(Counter(e.error_code or "unknown" for e in calls if e.outcome == "error").most_common()),
        tools=tools[: args.top],
        providers=ranked,
        cost_usd=round(sum(p.cost_usd for p in ranked), 6),
    )
