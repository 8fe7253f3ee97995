"""What a running turn reports to front ends (terminal chat, `ask --json`, bots): tokens as they stream, tool
calls as they start and end, a confirmation request before acting tools, and the finished reply."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, Field


class ToolCallRecord(BaseModel):
    """One tool call of a turn and what came of it."""

    id: str = ""
    name: str
    args: dict[str, Any] = Field(default_factory=dict)
    result: dict[str, Any] | None = Field(None, description="The tool's output, when it succeeded.")
    error: dict[str, Any] | None = Field(None, description="{error, message, hint}, when it failed or was declined.")
    duration_ms: float = 0.0


class Usage(BaseModel):
    """Tokens and cost of one turn (every model request in it)."""

    provider: str
    model: str
    requests: int = 0
    tokens_in: int = 0
    tokens_out: int = 0
    cost_usd: float | None = Field(None, description="From the price table in config; None when unpriced.")
    model_ms: float = Field(0.0, description="Time spent waiting for the model.")
    tool_ms: float = Field(0.0, description="Time spent in tools.")


class Reply(BaseModel):
    """The outcome of one turn: `echotune ask --json` prints this."""

    answer: str
    session: str
    tool_calls: list[ToolCallRecord] = Field(default_factory=list)
    usage: Usage
    steps: int = Field(0, description="Model calls this turn.")


class Token(BaseModel):
    kind: Literal["token"] = "token"
    text: str


class ToolStart(BaseModel):
    kind: Literal["tool_start"] = "tool_start"
    id: str
    name: str
    args: dict[str, Any]


class ToolEnd(BaseModel):
    kind: Literal["tool_end"] = "tool_end"
    call: ToolCallRecord


class PendingCall(BaseModel):
    id: str
    name: str
    args: dict[str, Any]
    effect: str = Field(description="act or destroy")


class ConfirmRequest(BaseModel):
    """Tools that wait for a yes. Answer with True/False for all, or {call id: bool}."""

    kind: Literal["confirm"] = "confirm"
    calls: list[PendingCall]


class Done(BaseModel):
    kind: Literal["done"] = "done"
    reply: Reply


AgentEvent = Token | ToolStart | ToolEnd | ConfirmRequest | Done
