"""The one tool registry: each tool is declared once and every face (CLI, agent, MCP) is built from it.

A tool is a plain function `fn(ctx, args) -> Output` with a pydantic input and output model, declared with
`@tool(...)`. Its name, description (the docstring), JSON schemas and effect (read, act, destroy) come from
that one declaration. `call_tool` is the single path every face uses: it validates, runs, and records an event.
"""

from __future__ import annotations

import importlib
import inspect
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any, Literal, get_type_hints

from pydantic import BaseModel, ConfigDict, ValidationError

from echotune.tools.context import Context
from echotune.tools.errors import EchoTuneError, InvalidInputError

Effect = Literal["read", "act", "destroy"]
"""read: changes nothing; act: changes playback, playlists or settings; destroy: deletes data."""

TOOL_MODULES: tuple[str, ...] = (
    "catalog",
    "settings",
    "player",
    "playlists",
    "library",
    "spotify",
    "history",
    "insights",
    "analytics",
    "recommend",
)
"""Capability modules under echotune.tools whose `@tool` functions make up the registry, in listing order."""


class ToolInput(BaseModel):
    """Base of every tool's input model: unknown arguments are an error, never silently ignored."""

    model_config = ConfigDict(extra="forbid")


@dataclass(frozen=True)
class ToolSpec:
    """Everything any face needs to offer one tool."""

    name: str
    description: str
    input_model: type[BaseModel]
    output_model: type[BaseModel]
    fn: Callable[[Context, Any], BaseModel]
    effect: Effect
    idempotent: bool
    open_world: bool
    cli: tuple[str, str] | None
    cli_args: tuple[str, ...]
    examples: tuple[str, ...]
    quick: bool = False

    @property
    def read_only(self) -> bool:
        return self.effect == "read"

    @property
    def module(self) -> str:
        """The capability module that declares it (echotune.tools.NAME)."""
        return self.fn.__module__

    def input_schema(self) -> dict[str, Any]:
        return self.input_model.model_json_schema()

    def output_schema(self) -> dict[str, Any]:
        return self.output_model.model_json_schema()

    def __call__(self, ctx: Context, args: Any) -> BaseModel:
        return self.fn(ctx, args)


def tool(
    *,
    effect: Effect = "read",
    idempotent: bool | None = None,
    open_world: bool = False,
    cli: tuple[str, str] | None = None,
    cli_args: tuple[str, ...] | None = None,
    examples: tuple[str, ...] = (),
    name: str | None = None,
    quick: bool = False,
) -> Callable[[Callable[..., BaseModel]], ToolSpec]:
    """Declare a tool. Input and output models come from the annotations, the description from the docstring.

    effect: what calling it changes. idempotent: calling twice equals calling once (default: reads are).
    open_world: it talks to an outside service (Spotify). cli: (group, command) for `echotune GROUP COMMAND`.
    cli_args: input fields taken as positional CLI arguments (default: the required ones).
    examples: things a person says that this tool answers; the offline model and the evals learn from them.
    quick: a read that answers from local data (one store lookup, in-memory services already built) in well under
    a millisecond and never waits on a network, a model or a write lock; a server may run it on its event loop
    instead of a worker thread, whose hop costs more than such a call (mcp_server/server.py).
    """
    if quick and (effect != "read" or open_world):
        raise TypeError("only a read of local data (effect 'read', not open_world) can be quick")

    def wrap(fn: Callable[..., BaseModel]) -> ToolSpec:
        hints = get_type_hints(fn, localns={"Context": Context})
        params = list(inspect.signature(fn).parameters)
        if len(params) != 2:
            raise TypeError(f"tool {fn.__name__} must take (ctx, args)")
        input_model, output_model = hints[params[1]], hints["return"]
        if not issubclass(input_model, ToolInput):
            raise TypeError(f"tool {fn.__name__}: {input_model.__name__} must subclass ToolInput")
        doc = inspect.getdoc(fn)
        if not doc:
            raise TypeError(f"tool {fn.__name__} needs a docstring: it is the description models read")
        required = tuple(n for n, f in input_model.model_fields.items() if f.is_required())
        return ToolSpec(
            name=name or fn.__name__,
            description=doc,
            input_model=input_model,
            output_model=output_model,
            fn=fn,
            effect=effect,
            idempotent=(effect == "read") if idempotent is None else idempotent,
            open_world=open_world,
            cli=cli,
            cli_args=required if cli_args is None else cli_args,
            examples=examples,
            quick=quick,
        )

    return wrap


@cache
def all_tools() -> dict[str, ToolSpec]:
    """Every tool, by name, in a stable order."""
    found: dict[str, ToolSpec] = {}
    for module_name in TOOL_MODULES:
        for name, spec in _declared_in(f"echotune.tools.{module_name}").items():
            if name in found and found[name] is not spec:
                raise RuntimeError(f"tool {name} is declared twice")
            found[name] = spec
    return found


@cache
def _declared_in(module_name: str) -> dict[str, ToolSpec]:
    """The tools one capability module declares (importing it, and only it)."""
    module = importlib.import_module(module_name)
    return {value.name: value for value in vars(module).values() if isinstance(value, ToolSpec)}


_module_of: dict[str, str] = {}
"""Tool name -> declaring module, learnt from the cached tool listings (tool_listings calls know_modules):
get_tool then imports one module instead of all of them, which a new process feels as start-up time."""


def know_modules(modules: Mapping[str, str]) -> None:
    _module_of.update(modules)


def get_tool(name: str, cache_dir: Path | None = None) -> ToolSpec:
    """The tool called `name`. With a cache_dir (a Context's), the first lookup learns every tool's module from
    the cached listings, so a process calling one tool imports its module and not all of them (0.35 s)."""
    module = _module_of.get(name)
    if module is None and cache_dir is not None and not _module_of and not all_tools.cache_info().currsize:
        from echotune.tools.listings import tool_listings

        tool_listings(cache_dir)  # teaches know_modules
        module = _module_of.get(name)
    if module is not None and not all_tools.cache_info().currsize:
        spec = _declared_in(module).get(name)
        if spec is not None:
            return spec
    try:
        return all_tools()[name]
    except KeyError:
        raise InvalidInputError(f"No tool named {name!r}", hint=f"known tools: {', '.join(all_tools())}") from None


def describe_validation_error(tool_name: str, exc: ValidationError) -> str:
    """Pydantic's errors as one line a person (or a model) can fix: `limit: must be <= 50 (got 500)`."""
    parts = []
    for err in exc.errors():
        loc = ".".join(str(p) for p in err["loc"]) or "arguments"
        got = f" (got {err['input']!r})" if err["type"] != "missing" and "input" in err else ""
        parts.append(f"{loc}: {err['msg']}{got}")
    return f"{tool_name}: " + "; ".join(parts)


def validate_args(spec: ToolSpec, args: Mapping[str, Any] | BaseModel | None) -> BaseModel:
    if isinstance(args, spec.input_model):
        return args
    try:
        return spec.input_model.model_validate(dict(args or {}))
    except ValidationError as exc:
        raise InvalidInputError(describe_validation_error(spec.name, exc)) from None
    except (TypeError, ValueError) as exc:
        raise InvalidInputError(f"{spec.name}: arguments must be an object of named values ({exc})") from None


def call_tool(ctx: Context, name: str, args: Mapping[str, Any] | BaseModel | None = None) -> BaseModel:
    """Validate, run and record one tool call. Raises EchoTuneError for every expected failure."""
    spec = get_tool(name, ctx.config.cache_dir)
    started = time.perf_counter()
    outcome, code = "ok", None
    try:
        return spec.fn(ctx, validate_args(spec, args))
    except EchoTuneError as exc:
        outcome, code = "error", exc.code
        raise
    except Exception:
        outcome, code = "error", "internal"
        raise
    finally:
        _record(ctx, spec, (time.perf_counter() - started) * 1000, outcome, code)
        if spec.effect != "read":
            _audit(ctx, spec, args, outcome, code)


def _audit(
    ctx: Context, spec: ToolSpec, args: Mapping[str, Any] | BaseModel | None, outcome: str, code: str | None
) -> None:
    """Every acting or destructive call, from any face: who, through which token, with which arguments."""
    from echotune.tools.models import AuditEntry

    arguments = args.model_dump(mode="json") if isinstance(args, BaseModel) else dict(args or {})
    entry = AuditEntry(
        at=ctx.clock(),
        user=ctx.user,
        face=ctx.face,
        tool=spec.name,
        effect=spec.effect,  # type: ignore[arg-type]
        token_id=ctx.event_data.get("token_id"),
        scope=ctx.event_data.get("scope"),
        arguments=arguments,
        outcome=outcome,
        error_code=code,
    )
    try:
        ctx.store.audit.record(entry)
    except Exception:  # the call happened; a lost audit line must be loud, not fatal
        import logging

        logging.getLogger("echotune").exception("could not write the audit entry for %s", spec.name)


def _record(ctx: Context, spec: ToolSpec, duration_ms: float, outcome: str, code: str | None) -> None:
    from echotune.tools.models import Event  # imported on the first call: listing tools needs no models

    event = Event(
        at=ctx.clock(),
        user=ctx.user,
        kind="tool",
        name=spec.name,
        face=ctx.face,
        duration_ms=round(duration_ms, 3),
        outcome=outcome,
        error_code=code,
        data={**ctx.event_data, "effect": spec.effect},
    )
    try:
        ctx.store.events.record(event)
    except Exception as exc:  # analytics must never break the call it describes
        import logging

        logging.getLogger("echotune").warning("could not record tool event: %s", exc)
