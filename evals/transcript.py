"""What a conversation produced, whoever ran it: the answer, every tool call, steps, time, tokens and cost.

The agent's `ask --json` output has the same shape, so transcripts can be recorded, replayed and hand-made.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field


class ToolCall(BaseModel):
    name: str
    args: dict[str, Any] = Field(default_factory=dict)
    result: Any = None
    error: str | None = None


class Turn(BaseModel):
    user: str
    answer: str = ""
    tool_calls: list[ToolCall] = Field(default_factory=list)
    steps: int = 0
    latency_ms: float = 0.0
    tokens_in: int = 0
    tokens_out: int = 0
    cost_usd: float = 0.0


class Transcript(BaseModel):
    turns: list[Turn] = Field(default_factory=list)
    error: str | None = Field(None, description="Set when the run itself failed (not a tool error).")

    @property
    def tool_calls(self) -> list[ToolCall]:
        return [c for t in self.turns for c in t.tool_calls]

    @property
    def answer(self) -> str:
        return self.turns[-1].answer if self.turns else ""

    @property
    def steps(self) -> int:
        return sum(t.steps for t in self.turns)
