"""Registry tools as LangChain tools: the same names, descriptions and schemas (never described twice), the
effect and examples carried along, calls through call_tool as the agent."""

from __future__ import annotations

from langchain_core.utils.function_calling import convert_to_openai_tool

from echotune.agent.tools import langchain_tools, run_tool_call
from echotune.tools.context import Context
from echotune.tools.registry import all_tools


def test_every_registry_tool_is_offered_as_declared() -> None:
    tools = {t.name: t for t in langchain_tools()}
    assert list(tools) == list(all_tools())
    for name, spec in all_tools().items():
        tool = tools[name]
        assert tool.description == spec.description
        assert tool.args_schema is spec.input_model
        assert tool.metadata == {
            "effect": spec.effect,
            "read_only": spec.read_only,
            "idempotent": spec.idempotent,
            "examples": list(spec.examples),
        }
        fn = convert_to_openai_tool(tool)["function"]
        assert fn["name"] == name and fn["description"] == spec.description
        assert set(fn["parameters"]["properties"]) == set(spec.input_schema()["properties"])


def test_a_wrapped_tool_runs_through_the_registry(ctx: Context) -> None:
    from dataclasses import replace

    agent_ctx = replace(ctx, face="agent")
    tool = {t.name: t for t in langchain_tools(ctx=agent_ctx)}["catalog_search"]
    out = tool.invoke({"query": "halo beyonce", "limit": 1})
    assert out["tracks"][0]["title"] == "Halo"
    assert ctx.store.events.list(kind="tool")[0].face == "agent"


def test_run_tool_call_never_raises(ctx: Context) -> None:
    tools = all_tools()
    ok = run_tool_call(ctx, tools, {"name": "catalog_stats", "args": {"top": 2}, "id": "1"})
    assert ok.error is None and ok.result["tracks"] > 20000
    bad = run_tool_call(ctx, tools, {"name": "settings_update", "args": {"key": "nope", "value": 1}, "id": "2"})
    assert bad.result is None and bad.error["error"] == "invalid_input" and "known keys" in bad.error["hint"]
    msg = bad.message("2")
    assert msg.status == "error" and msg.tool_call_id == "2" and msg.name == "settings_update"
