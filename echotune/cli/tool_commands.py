"""CLI commands generated from the tool registry: `echotune GROUP COMMAND`, one per tool with a `cli` name.

Arguments and options come from the tool's input model (names, types, choices, bounds, descriptions), so the
CLI can never drift from what the agent and the MCP server offer. Validation stays with the model: the CLI
passes what was given and the registry says what is wrong.
"""

from __future__ import annotations

import enum
import inspect
import json
import sys
import types
import typing
from typing import Any, Literal, get_args, get_origin

import typer
from pydantic import BaseModel
from pydantic.fields import FieldInfo
from pydantic_core import PydanticUndefined

from echotune.cli.app import state_of
from echotune.tools.registry import ToolSpec, all_tools, get_tool

SCALARS = (str, int, float, bool)


def _unwrap_optional(annotation: Any) -> Any:
    if get_origin(annotation) in (typing.Union, types.UnionType):
        args = [a for a in get_args(annotation) if a is not type(None)]
        return args[0] if len(args) == 1 else str  # a union of scalars arrives as text; the model converts it
    return annotation


def _cli_type(annotation: Any) -> Any:
    """The type typer should parse: Literal becomes an Enum (choices), nested data becomes JSON text."""
    ann = _unwrap_optional(annotation)
    if get_origin(ann) is list:
        return list[_cli_type(get_args(ann)[0])]
    if get_origin(ann) is Literal:
        values = [str(v) for v in get_args(ann)]
        return enum.Enum("Choice", {v: v for v in values}, type=str)
    return ann if ann in SCALARS else str


def _help(field: FieldInfo) -> str:
    text = field.description or ""
    extra = []
    for meta in field.metadata:
        for attr, sign in (("ge", "≥"), ("gt", ">"), ("le", "≤"), ("lt", "<")):
            if getattr(meta, attr, None) is not None:
                extra.append(f"{sign} {getattr(meta, attr)}")
    if not field.is_required() and field.default not in (None, "", PydanticUndefined):
        extra.append(f"default: {field.default}")
    return f"{text} ({', '.join(extra)})" if extra else text


def _parameter(name: str, field: FieldInfo, positional: bool) -> inspect.Parameter:
    cli_type = _cli_type(field.annotation)
    if positional:
        default = typer.Argument(... if field.is_required() else None, help=_help(field), show_default=False)
    else:
        default = typer.Option(None, "--" + name.replace("_", "-"), help=_help(field), show_default=False)
        cli_type = cli_type | None
    return inspect.Parameter(name, inspect.Parameter.KEYWORD_ONLY, default=default, annotation=cli_type)


def _arguments(spec: ToolSpec, values: dict[str, Any]) -> dict[str, Any]:
    """Given CLI values -> tool arguments (only what was given, so the model's defaults apply)."""
    args: dict[str, Any] = {}
    for name, field in spec.input_model.model_fields.items():
        value = values.get(name)
        if value is None or value == []:
            continue
        if isinstance(value, enum.Enum):
            value = value.value
        ann = _unwrap_optional(field.annotation)
        if get_origin(ann) is dict or (isinstance(ann, type) and issubclass(ann, BaseModel)):
            try:
                value = json.loads(value)
            except json.JSONDecodeError as exc:
                raise typer.BadParameter(f"--{name.replace('_', '-')} must be JSON: {exc}") from None
        args[name] = value
    return args


def _accept_offer(context: Any, exc: Exception, *, interactive: bool) -> Any:
    """An error may carry an offer: the tool call that would fix it (e.g. play on the one available device).
    At a terminal, ask; otherwise (scripts, --json) the error stands, offer included in its details."""
    from echotune.tools.registry import call_tool

    offer = (getattr(exc, "details", None) or {}).get("offer")
    if not (offer and interactive and sys.stdin.isatty() and sys.stderr.isatty()):
        raise exc
    print(getattr(exc, "message", str(exc)), file=sys.stderr)
    if not typer.confirm(offer["question"], default=True, err=True):
        raise exc
    return call_tool(context, offer["tool"], offer["args"])


def tool_command(spec: ToolSpec) -> typer.models.CommandFunctionType:
    """A typer command function for `spec`, with a signature built from its input model."""

    def command(ctx: typer.Context, json_out: bool = False, **values: Any) -> None:
        from echotune.cli.render import render
        from echotune.tools.registry import call_tool

        state = state_of(ctx)
        state.json = json_out
        context = state.context()
        arguments = _arguments(spec, values)
        try:
            result = call_tool(context, spec.name, arguments)
        except Exception as exc:
            result = _accept_offer(context, exc, interactive=not json_out)
        render(result, as_json=json_out)

    fields = spec.input_model.model_fields
    assert not {"ctx", "json_out"} & set(fields), f"{spec.name}: 'ctx' and 'json_out' are reserved"
    params = [
        inspect.Parameter("ctx", inspect.Parameter.POSITIONAL_OR_KEYWORD, annotation=typer.Context),
        *(_parameter(n, f, n in spec.cli_args) for n, f in fields.items()),
        inspect.Parameter(
            "json_out",
            inspect.Parameter.KEYWORD_ONLY,
            annotation=bool,
            default=typer.Option(False, "--json", help="Print the result as JSON (for scripts)."),
        ),
    ]
    command.__signature__ = inspect.Signature(params)  # type: ignore[attr-defined]
    command.__annotations__ = {p.name: p.annotation for p in params}
    command.__doc__ = spec.description
    return command


def tool_commands(group_name: str) -> dict[str, Any]:
    """The click commands of every registry tool in `group_name`, by command name."""
    marks = {"act": " [changes things]", "destroy": " [deletes data]"}
    commands: dict[str, Any] = {}
    for spec in _group_tools(group_name):
        assert spec.cli is not None
        single = typer.Typer(add_completion=False)
        mark = marks.get(spec.effect, "")
        single.command(spec.cli[1], help=spec.description + mark, short_help=spec.description.split(".")[0] + mark)(
            tool_command(spec)
        )
        commands[spec.cli[1]] = typer.main.get_command(single)
    return commands


def _group_tools(group_name: str) -> list[ToolSpec]:
    """The group's tools, importing only the modules that declare them: the cached tool listings say which
    (a one-shot command then skips importing every other area's models)."""
    from echotune.tools.config import load_config
    from echotune.tools.listings import tool_listings

    try:
        listings = tool_listings(load_config().cache_dir)
    except Exception:  # a broken configuration is doctor's to report, not a reason to lose the commands
        return [spec for spec in all_tools().values() if spec.cli and spec.cli[0] == group_name]
    return [get_tool(name) for name, listing in listings.items() if listing.cli and listing.cli[0] == group_name]
