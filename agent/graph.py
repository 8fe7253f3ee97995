"""The agent's LangGraph: a model node and a tool node in a loop, with a step limit and a checkpointer.

    START -> model -(tool calls)-> tools -> model -> ... -(an answer)-> END

On the last allowed step the model is called without tools and told to answer, so a turn always ends with an
answer instead of looping. Tools that act or destroy pause the run with `interrupt()` until a front end
resumes it with the person's decision (`Command(resume=True | False | {call_id: bool})`).
"""

from __future__ import annotations

import time
from typing import Any, Literal

from langchain_core.messages import AIMessage, SystemMessage
from langgraph.checkpoint.base import BaseCheckpointSaver
from langgraph.config import get_stream_writer
from langgraph.graph import END, START, StateGraph
from langgraph.graph.state import CompiledStateGraph
from langgraph.runtime import Runtime
from langgraph.types import interrupt

from echotune.agent.context import AgentContext
from echotune.agent.prompts import step_limit_note, step_limit_reply
from echotune.agent.providers import translate_error
from echotune.agent.state import AgentState
from echotune.agent.tools import declined, run_tool_call


def call_model(state: AgentState, runtime: Runtime[AgentContext]) -> dict[str, Any]:
    """Ask the model for the next step: tool calls, or the answer. The last allowed step must answer."""
    run = runtime.context
    steps = state.get("steps", 0) + 1
    last_step = steps >= run.max_steps
    system = run.system_prompt + ("\n\n" + step_limit_note() if last_step else "")
    model = run.plain_model if last_step else run.model
    started = time.perf_counter()
    try:
        response = model.invoke([SystemMessage(system), *state["messages"]])
    except Exception as exc:
        raise translate_error(exc, run.provider) from exc
    if not isinstance(response, AIMessage):
        raise TypeError(f"the model returned {type(response).__name__}, not an AIMessage")
    if last_step and response.tool_calls:
        response = AIMessage(content=step_limit_reply(), id=response.id, usage_metadata=response.usage_metadata)
    response.response_metadata["echotune"] = {
        "provider": run.provider,
        "model": run.model_name,
        "duration_ms": round((time.perf_counter() - started) * 1000, 2),
    }
    return {"messages": [response], "steps": steps}


def call_tools(state: AgentState, runtime: Runtime[AgentContext]) -> dict[str, Any]:
    """Run the tool calls of the last model message, after asking for a yes where the policy wants one."""
    run = runtime.context
    calls = state["messages"][-1].tool_calls
    ask = [
        {"id": c["id"], "name": c["name"], "args": c["args"], "effect": run.tools[c["name"]].effect}
        for c in calls
        if c["name"] in run.tools and run.needs_confirmation(run.tools[c["name"]])
    ]
    decision: Any = interrupt({"kind": "confirm", "calls": ask}) if ask else True
    write = get_stream_writer()
    messages = []
    for call in calls:
        approved = decision.get(call["id"], False) if isinstance(decision, dict) else bool(decision)
        if not approved and any(a["id"] == call["id"] for a in ask):
            outcome = declined(call["name"], call["args"])
        else:
            write({"kind": "tool_start", "id": call["id"], "name": call["name"], "args": call["args"]})
            outcome = run_tool_call(run.ctx, run.tools, call)
        write(
            {
                "kind": "tool_end",
                "id": call["id"],
                "name": call["name"],
                "args": outcome.args,
                "result": outcome.result,
                "error": outcome.error,
                "duration_ms": outcome.duration_ms,
            }
        )
        messages.append(outcome.message(call["id"]))
    return {"messages": messages}


def route_model_output(state: AgentState) -> Literal["tools", "__end__"]:
    """Tool calls go to the tool node; an answer ends the turn."""
    last = state["messages"][-1]
    if not isinstance(last, AIMessage):
        raise ValueError(f"expected an AIMessage after the model node, got {type(last).__name__}")
    return "tools" if last.tool_calls else END


def build_graph(checkpointer: BaseCheckpointSaver | None = None) -> CompiledStateGraph:
    """The agent graph, compiled with the given checkpointer (None: no memory between runs)."""
    builder = StateGraph(AgentState, context_schema=AgentContext)
    builder.add_node("model", call_model)
    builder.add_node("tools", call_tools)
    builder.add_edge(START, "model")
    builder.add_conditional_edges("model", route_model_output)
    builder.add_edge("tools", "model")
    return builder.compile(checkpointer=checkpointer, name="echotune")
