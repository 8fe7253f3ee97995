"""The registry's tools as the agent sees them: LangChain tools built from each ToolSpec (never described twice),
and one function that runs a model's tool call through `call_tool` and turns every outcome into a ToolMessage.

Typed errors become results the model can read ({"error": code, "message": ..., "hint": ...}) so it can fix
its arguments or tell the person; nothing a tool raises ends the conversation.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import orjson
from langchain_core.messages import ToolMessage
from langchain_core.tools import StructuredTool

from echotune.tools.errors import EchoTuneError
from echotune.tools.registry import ToolSpec, all_tools, call_tool

if TYPE_CHECKING:
    from langchain_core.messages import ToolCall

    from echotune.tools.context import Context

log = logging.getLogger("echotune.agent")


def as_langchain_tool(spec: ToolSpec, ctx: Context | None = None) -> StructuredTool:
    """One registry tool as a LangChain tool: name, docstring and input model straight from the registry.

    metadata carries the effect (front ends ask before `act`/`destroy`) and the example utterances (the
    offline model learns from them). With a ctx the tool can also be invoked on its own.
    """

    def run(**kwargs: Any) -> dict[str, Any]:
        if ctx is None:
            raise RuntimeError(f"{spec.name} was built without a Context; run it through the agent")
        return call_tool(ctx, spec.name, kwargs).model_dump(mode="json")

    return StructuredTool(
        name=spec.name,
        description=spec.description,
        args_schema=spec.input_model,
        func=run,
        metadata={
            "effect": spec.effect,
            "read_only": spec.read_only,
            "idempotent": spec.idempotent,
            "examples": list(spec.examples),
        },
    )


def langchain_tools(specs: Iterable[ToolSpec] | None = None, ctx: Context | None = None) -> list[StructuredTool]:
    """Every registry tool (or the ones given), in registry order."""
    return [as_langchain_tool(s, ctx) for s in (all_tools().values() if specs is None else specs)]


@dataclass(frozen=True)
class ToolOutcome:
    """What one tool call gave: a result or an error (both JSON-ready), and how long it took."""

    name: str
    args: dict[str, Any]
    result: dict[str, Any] | None
    error: dict[str, Any] | None
    duration_ms: float

    def message(self, call_id: str) -> ToolMessage:
        body = self.error if self.error is not None else self.result
        return ToolMessage(
            content=orjson.dumps(body).decode(),
            tool_call_id=call_id,
            name=self.name,
            status="error" if self.error is not None else "success",
            artifact={"duration_ms": round(self.duration_ms, 2)},
        )


def run_tool_call(ctx: Context, tools: Mapping[str, ToolSpec], call: ToolCall) -> ToolOutcome:
    """Run one tool call the model asked for. Never raises for the model's mistakes or a tool's failure."""
    name, args = call["name"], dict(call.get("args") or {})
    started = time.perf_counter()
    result = error = None
    if name not in tools:
        error = {
            "error": "invalid_input",
            "message": f"No tool named {name!r}",
            "hint": f"use one of: {', '.join(tools)}",
        }
    else:
        try:
            result = call_tool(ctx, name, args).model_dump(mode="json")
        except EchoTuneError as exc:
            error = exc.to_dict()
        except Exception as exc:  # a bug in a tool: the model hears about it, the log keeps the traceback
            log.exception("tool %s failed", name)
            error = {"error": "internal", "message": f"{name} failed unexpectedly: {exc}"}
    return ToolOutcome(name, args, result, error, (time.perf_counter() - started) * 1000)


def declined(name: str, args: dict[str, Any]) -> ToolOutcome:
    """The outcome of a call the person said no to: the model reads that nothing was done."""
    error = {
        "error": "declined",
        "message": f"The person declined: {name} was not run and nothing changed.",
        "hint": "do not retry it unless they ask again",
    }
    return ToolOutcome(name, args, None, error, 0.0)
