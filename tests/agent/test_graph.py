"""The graph on its own, driven by a scripted model (LangGraph's testing pattern): tool calls run through the
registry, typed errors come back as readable tool results, the step limit answers instead of looping, acting
tools wait for a yes, and the router refuses what it does not expect."""

from __future__ import annotations

import json

import pytest
from langchain_core.messages import AIMessage, HumanMessage, ToolMessage
from langgraph.checkpoint.memory import InMemorySaver
from langgraph.types import Command

from echotune.agent.context import AgentContext
from echotune.agent.graph import build_graph, route_model_output
from echotune.agent.prompts import step_limit_reply
from echotune.tools.context import Context
from echotune.tools.registry import all_tools
from echotune.tools.settings import read_settings
from tests.agent.scripted import ScriptedChatModel, call, say


def run_context(ctx: Context, model: ScriptedChatModel, **kw: object) -> AgentContext:
    from dataclasses import replace

    return AgentContext(
        ctx=replace(ctx, face="agent"),
        provider="scripted",
        model_name="s",
        model=model,
        plain_model=model,
        tools=all_tools(),
        system_prompt="SYSTEM",
        **kw,  # type: ignore[arg-type]
    )


def invoke(graph, run: AgentContext, text: str, thread: str = "t") -> dict:
    return graph.invoke(
        {"messages": [HumanMessage(text)], "steps": 0}, {"configurable": {"thread_id": thread}}, context=run
    )


def test_tool_call_runs_through_the_registry_as_the_agent(ctx: Context) -> None:
    model = ScriptedChatModel(script=[call("catalog_search", {"query": "hey jude", "limit": 2}), say("Found it.")])
    graph = build_graph(InMemorySaver())
    state = invoke(graph, run_context(ctx, model), "find hey jude")
    tool_msg = state["messages"][2]
    assert isinstance(tool_msg, ToolMessage) and tool_msg.status == "success"
    assert json.loads(tool_msg.content)["tracks"][0]["title"] == "Hey Jude"
    assert state["messages"][-1].content == "Found it."
    # the second model call saw the system prompt, the request and the tool result
    system, *rest = model.prompts[1]
    assert system.content == "SYSTEM" and isinstance(rest[-1], ToolMessage)
    events = ctx.store.events.list(kind="tool")
    assert [(e.name, e.face) for e in events] == [("catalog_search", "agent")]


def test_typed_errors_become_tool_results_the_model_can_read(ctx: Context) -> None:
    model = ScriptedChatModel(
        script=[
            call("catalog_search", {"query": "x", "limit": 500}),
            call("catalog_get", {"track": "nope"}, "c2"),
            call("no_such_tool", {}, "c3"),
            say("Sorry."),
        ]
    )
    state = invoke(build_graph(InMemorySaver()), run_context(ctx, model), "break things")
    errors = [json.loads(m.content) for m in state["messages"] if isinstance(m, ToolMessage)]
    assert [e["error"] for e in errors] == ["invalid_input", "invalid_input", "invalid_input"]
    assert "limit" in errors[0]["message"] and "less than or equal to 50" in errors[0]["message"]
    assert "not a Spotify track id" in errors[1]["message"] and errors[1]["hint"]
    assert "No tool named 'no_such_tool'" in errors[2]["message"]
    assert all(m.status == "error" for m in state["messages"] if isinstance(m, ToolMessage))
    assert state["messages"][-1].content == "Sorry."


def test_step_limit_answers_instead_of_looping(ctx: Context) -> None:
    model = ScriptedChatModel(script=[call("catalog_stats", {})], repeat_last=True)
    run = run_context(ctx, model, max_steps=3)
    state = invoke(build_graph(InMemorySaver()), run, "loop forever")
    last = state["messages"][-1]
    assert isinstance(last, AIMessage) and not last.tool_calls
    assert last.content == step_limit_reply()
    assert state["steps"] == 3
    assert sum(isinstance(m, ToolMessage) for m in state["messages"]) == 2
    # the last call was told to answer (the step-limit note is appended to the system prompt)
    assert "do not call any more tools" in model.prompts[-1][0].content


def test_acting_tool_waits_for_a_yes_and_a_no_changes_nothing(ctx: Context) -> None:
    graph = build_graph(InMemorySaver())
    args = {"key": "recommendation.diversity", "value": 0.9}
    model = ScriptedChatModel(script=[call("settings_update", args), say("Not changed.")])
    run = run_context(ctx, model)
    config = {"configurable": {"thread_id": "t"}}
    graph.invoke({"messages": [HumanMessage("set diversity to 0.9")], "steps": 0}, config, context=run)
    state = graph.get_state(config)
    assert state.next == ("tools",)
    (pending,) = state.interrupts
    assert pending.value == {"kind": "confirm", "calls": [{"id": "c1", "name": "settings_update", "args": args,
                                                           "effect": "act"}]}  # fmt: skip
    final = graph.invoke(Command(resume=False), config, context=run)
    declined = json.loads(final["messages"][2].content)
    assert declined["error"] == "declined" and read_settings(ctx)[0] == 0

    model.script.extend([call("settings_update", args, "c9"), say("Done.")])
    graph.invoke({"messages": [HumanMessage("yes, do it")], "steps": 0}, config, context=run)
    graph.invoke(Command(resume={"c9": True}), config, context=run)
    assert read_settings(ctx)[1].recommendation.diversity == 0.9


def test_confirmation_policy(ctx: Context) -> None:
    spec = all_tools()["settings_update"]
    model = ScriptedChatModel()
    assert run_context(ctx, model, confirm="act").needs_confirmation(spec)
    assert not run_context(ctx, model, confirm="destroy").needs_confirmation(spec)
    assert not run_context(ctx, model, confirm="never").needs_confirmation(spec)
    assert not run_context(ctx, model, confirm="act").needs_confirmation(all_tools()["catalog_search"])
    model.script.extend([call("settings_update", {"key": "market", "value": "DE"}), say("ok")])
    state = invoke(build_graph(InMemorySaver()), run_context(ctx, model, confirm="never"), "market DE")
    assert state["messages"][-1].content == "ok" and read_settings(ctx)[1].market == "DE"


def test_router_refuses_unexpected_messages() -> None:
    assert route_model_output({"messages": [AIMessage("answer")]}) == "__end__"
    assert route_model_output({"messages": [call("catalog_stats", {})]}) == "tools"
    with pytest.raises(ValueError, match="expected an AIMessage"):
        route_model_output({"messages": [HumanMessage("?")]})


def test_checkpointer_keeps_the_conversation_per_thread(ctx: Context) -> None:
    model = ScriptedChatModel(script=[say("one"), say("two"), say("other")])
    graph = build_graph(InMemorySaver())
    run = run_context(ctx, model)
    invoke(graph, run, "first", "a")
    state = invoke(graph, run, "second", "a")
    assert [m.content for m in state["messages"]] == ["first", "one", "second", "two"]
    assert [m.content for m in invoke(graph, run, "hello", "b")["messages"]] == ["hello", "other"]
