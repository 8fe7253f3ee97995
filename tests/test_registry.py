"""The one registry: every tool is described for models (docstring, described parameters with bounds),
typed in and out, marked read/act/destroy, and reached through one validating, event-recording call path."""

from typing import Any

import pytest
from pydantic import BaseModel

from echotune.cli.app import GROUP_HELP
from echotune.tools.context import Context
from echotune.tools.errors import InvalidInputError
from echotune.tools.registry import ToolInput, all_tools, call_tool, tool


def _properties(schema: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    return list(schema.get("properties", {}).items())


@pytest.mark.parametrize("name", list(all_tools()))
def test_every_parameter_is_described(name: str) -> None:
    spec = all_tools()[name]
    assert len(spec.description) >= 30, "the docstring is what models read: say what the tool is for"
    assert len(spec.examples) >= 2, "examples teach the offline model and the evals when to use the tool"
    schema = spec.input_schema()
    assert schema.get("additionalProperties") is False
    for prop, body in _properties(schema):
        assert body.get("description"), f"{name}.{prop} has no description"


def test_effects_and_cli_names() -> None:
    tools = all_tools()
    effects = {n: s.effect for n, s in tools.items()}
    assert effects["settings_update"] == "act" and effects["settings_get"] == "read"
    assert {n for n, e in effects.items() if e == "destroy"} == {"history_delete"}
    assert {effects[n] for n in ("history_import", "history_export", "insights_report")} == {"act"}
    assert effects["recommend_feedback"] == "act"
    assert {s.cli[0] for s in tools.values() if s.cli} == set(GROUP_HELP)
    cli_names = [s.cli for s in tools.values() if s.cli]
    assert len(cli_names) == len(set(cli_names)), "two tools under one CLI name"


def test_unknown_tool_and_bad_arguments(empty_ctx: Context) -> None:
    with pytest.raises(InvalidInputError, match="No tool named"):
        call_tool(empty_ctx, "play_everything")
    with pytest.raises(InvalidInputError, match=r"limit: Input should be less than or equal to 500 \(got 9000\)"):
        call_tool(empty_ctx, "settings_history", {"limit": 9000})


def test_calls_are_recorded_as_events(empty_ctx: Context) -> None:
    call_tool(empty_ctx, "settings_get")
    with pytest.raises(InvalidInputError):
        call_tool(empty_ctx, "settings_update", {"key": "market", "value": "nowhere"})
    events = empty_ctx.store.events.list(kind="tool")
    assert [(e.name, e.outcome, e.error_code) for e in events] == [
        ("settings_update", "error", "invalid_input"),
        ("settings_get", "ok", None),
    ]
    assert all(e.duration_ms is not None and e.duration_ms >= 0 for e in events)


def test_declaration_rules() -> None:
    class In(ToolInput):
        x: int

    class Out(BaseModel):
        y: int

    def undocumented(ctx: Context, args: In) -> Out:
        return Out(y=args.x)

    with pytest.raises(TypeError, match="docstring"):
        tool()(undocumented)

    class Loose(BaseModel):
        x: int

    def loose(ctx: Context, args: Loose) -> Out:
        """Loose input models would silently ignore unknown arguments."""
        return Out(y=1)

    with pytest.raises(TypeError, match="ToolInput"):
        tool()(loose)

    def documented(ctx: Context, args: In) -> Out:
        """Documented."""
        return Out(y=args.x)

    assert tool(quick=True)(documented).quick and not tool()(documented).quick
    for writes_or_waits in ({"effect": "act"}, {"effect": "destroy"}, {"open_world": True}):
        with pytest.raises(TypeError, match="quick"):  # a server may run quick tools on its event loop
            tool(quick=True, **writes_or_waits)(documented)
    assert {n for n, s in all_tools().items() if s.quick} == {"settings_get", "catalog_get"}


def test_acting_calls_are_audited_from_every_face(empty_ctx: Context) -> None:
    call_tool(empty_ctx, "settings_get")  # reads are not audited
    call_tool(empty_ctx, "settings_update", {"key": "market", "value": "SE"})
    with pytest.raises(InvalidInputError):
        call_tool(empty_ctx, "settings_update", {"key": "market", "value": "nowhere"})
    audit = empty_ctx.store.audit.list()
    assert [(a.tool, a.outcome, a.error_code, a.arguments.get("value")) for a in audit] == [
        ("settings_update", "error", "invalid_input", "nowhere"),
        ("settings_update", "ok", None, "SE"),
    ]
    assert all(a.face == "python" and a.effect == "act" and a.token_id is None for a in audit)


CALL_ONE = """
import json, sys
from echotune.tools.context import Context
from echotune.tools.registry import call_tool
ctx = Context.from_config()
call_tool(ctx, "settings_get", {})
print(json.dumps(sorted(m for m in sys.modules if m.startswith("echotune.tools.") and m.count(".") == 2)))
"""


def test_a_process_calling_one_tool_imports_its_module_not_every_module(tmp_path) -> None:
    """With the tool listings cached in the data folder (the first process writes them), call_tool imports the
    module declaring the tool, not every capability module."""
    import json
    import os
    import subprocess
    import sys

    from echotune.tools.registry import TOOL_MODULES

    env = {k: v for k, v in os.environ.items() if not k.startswith("ECHOTUNE_")}
    env |= {"ECHOTUNE_DATA_DIR": str(tmp_path), "ECHOTUNE_CONFIG": str(tmp_path / "absent.toml")}
    runs = [subprocess.run([sys.executable, "-c", CALL_ONE], env=env, capture_output=True, text=True, check=True,
                           timeout=120) for _ in range(2)]  # fmt: skip
    first, second = (set(json.loads(r.stdout.splitlines()[-1])) for r in runs)
    every = {f"echotune.tools.{m}" for m in TOOL_MODULES}
    assert every <= first, "without a cached listing every module is imported (and the listing written)"
    assert "echotune.tools.settings" in second
    assert not {"echotune.tools.recommend", "echotune.tools.insights", "echotune.tools.player"} & second, second
