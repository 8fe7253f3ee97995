"""What the MCP server tells operators about each call: one structured log line, and Prometheus metrics when
serving HTTP (`/metrics`). Events for system analytics are recorded by `call_tool` itself, with the scope."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from prometheus_client import CollectorRegistry

    from echotune.mcp_server.auth import Caller

log = logging.getLogger("echotune.mcp")

LATENCY_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)


@dataclass
class Metrics:
    """The server's Prometheus metrics, in their own registry (no process-wide globals)."""

    registry: CollectorRegistry
    calls: Any = field(init=False)
    errors: Any = field(init=False)
    latency: Any = field(init=False)
    http: Any = field(init=False)

    def __post_init__(self) -> None:
        from prometheus_client import Counter, Histogram

        r = self.registry
        self.calls = Counter("echotune_mcp_tool_calls", "MCP tool calls by tool and outcome.", ["tool", "outcome"],
                             registry=r)  # fmt: skip
        self.errors = Counter("echotune_mcp_tool_errors", "Failed MCP tool calls by tool and error code.",
                              ["tool", "code"], registry=r)  # fmt: skip
        self.latency = Histogram("echotune_mcp_tool_duration_seconds", "MCP tool call duration.", ["tool"],
                                 buckets=LATENCY_BUCKETS, registry=r)  # fmt: skip
        self.http = Counter("echotune_mcp_http_refusals", "HTTP requests refused before MCP, by reason.",
                            ["reason"], registry=r)  # fmt: skip

    @classmethod
    def create(cls) -> Metrics:
        from prometheus_client import CollectorRegistry

        return cls(CollectorRegistry(auto_describe=True))

    def render(self) -> tuple[bytes, str]:
        from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

        return generate_latest(self.registry), CONTENT_TYPE_LATEST


@dataclass
class Observer:
    metrics: Metrics | None = None

    def tool_call(
        self,
        tool: str,
        caller: Caller,
        outcome: str,
        code: str | None,
        seconds: float,
        kind: str = "tool",
        changes: bool = False,
    ) -> None:
        """Count the call, and log it: at INFO when it changed something or failed, else at DEBUG (a log line
        per read would cost more than the read itself under load; the metrics count every call)."""
        if self.metrics is not None:
            self.metrics.calls.labels(tool, outcome).inc()
            self.metrics.latency.labels(tool).observe(seconds)
            if code:
                self.metrics.errors.labels(tool, code).inc()
        level = logging.WARNING if code == "internal" else logging.INFO if changes or code else logging.DEBUG
        if log.isEnabledFor(level):
            log.log(
                level,
                "%s %s %s",
                kind,
                tool,
                outcome,
                extra={
                    "event": f"mcp.{kind}",
                    "tool": tool,
                    "user": caller.user,
                    "scope": caller.scope,
                    "token_id": caller.token_id,
                    "outcome": outcome,
                    "error_code": code,
                    "duration_ms": round(seconds * 1000, 3),
                },
            )

    def refused(self, reason: str, **fields: Any) -> None:
        if self.metrics is not None:
            self.metrics.http.labels(reason).inc()
        log.info("refused: %s", reason, extra={"event": "mcp.refused", "reason": reason, **fields})
