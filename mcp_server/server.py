"""The MCP server, built from the tool registry and nothing else.

Every `ToolSpec` becomes an MCP tool with the same name, description (the docstring), input JSON schema (the
input model's, unchanged), output schema and structured output (the output model's), and annotations from its
declaration (effect, idempotent, open_world). A tool merged into the registry later appears with no change
here. The server is built from the registry's listings (tools/listings.py: the same facts, cached on disk), so
it answers `tools/list` without importing any tool module; they are imported in the background once the list
is out (stdio.py) or while HTTP clients connect (http.py), and at the latest by the first call. Every call goes
through `registry.call_tool` with a Context for the caller's user and face "mcp", so validation, errors and the
analytics event are the registry's; typed errors come back as `isError` results carrying their message and
hint. Acting and destructive calls are also written to the audit log.

Tools run on a worker thread, except quick ones (`@tool(quick=True)`: one local store lookup) once the HTTP
server has warmed up: those run on the event loop. Handing a call to a thread and back woke two threads and
cost 0.3-0.5 ms on a busy 2-core machine, several times the ~0.1 ms the call itself takes (benchmarks/mcp.py:
settings_get went from about 75% to about 100% of the bare server's throughput at one client).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from dataclasses import replace
from typing import TYPE_CHECKING, Any

import anyio
import orjson
from mcp.server.mcpserver import MCPServer
from mcp.server.mcpserver.tools import Tool
from mcp.server.mcpserver.utilities.func_metadata import ArgModelBase, FuncMetadata
from mcp.types import CallToolResult, TextContent, ToolAnnotations

from echotune import __version__
from echotune.mcp_server.auth import Caller, required_scope
from echotune.mcp_server.observe import Observer
from echotune.tools.errors import EchoTuneError
from echotune.tools.listings import ToolListing, tool_listings
from echotune.tools.registry import call_tool

if TYPE_CHECKING:
    from echotune.tools.context import Context

INSTRUCTIONS = (
    "EchoTune: a music catalog, recommendations, listening history, playback and settings. Each tool says what "
    "it changes (read-only, acting, destructive). Errors say what to fix. Resources under echotune:// give the "
    "current settings and summaries; prompts start common conversations."
)


class RegistryArguments(FuncMetadata):
    """Hands the caller's arguments to the registry as they came: `call_tool` validates them against the tool's
    own input model, so the MCP face has the same validator and error messages as every other face."""

    def validate_arguments(self, arguments_to_validate: dict[str, Any]) -> dict[str, Any]:
        return {"arguments": arguments_to_validate}


class _NoArguments(ArgModelBase):
    """Placeholder argument model: the published schema is the registry's (Tool.parameters)."""


def annotations(spec: ToolListing) -> ToolAnnotations:
    return ToolAnnotations(
        read_only_hint=spec.read_only,
        destructive_hint=spec.effect == "destroy",
        idempotent_hint=spec.idempotent,
        open_world_hint=spec.open_world,
    )


def json_string_fields(schema: dict[str, Any]) -> frozenset[str]:
    """Top-level parameters that take an array or object but no string: some clients (Claude Desktop) send those
    as JSON text, which is decoded before validation (the SDK does the same for its own tools)."""

    def types(node: dict[str, Any]) -> set[str]:
        found = {node["type"]} if isinstance(node.get("type"), str) else set(node.get("type") or [])
        for alt in node.get("anyOf", []) + node.get("oneOf", []):
            found |= types(alt)
        if "$ref" in node:
            found.add("object")
        return found

    return frozenset(
        name for name, prop in schema.get("properties", {}).items() if (t := types(prop)) & {"array", "object"}
        and "string" not in t
    )  # fmt: skip


def _decode_json_strings(arguments: dict[str, Any], fields: frozenset[str]) -> dict[str, Any]:
    if not fields or not isinstance(arguments, dict):
        return arguments
    out = dict(arguments)
    for name in fields & out.keys():
        value = out[name]
        if isinstance(value, str):
            try:
                decoded = orjson.loads(value)
            except orjson.JSONDecodeError:
                continue
            if isinstance(decoded, list | dict):
                out[name] = decoded
    return out


def error_result(code: str, message: str, hint: str | None = None) -> CallToolResult:
    text = f"{code}: {message}" + (f"\nhint: {hint}" if hint else "")
    return CallToolResult(content=[TextContent(type="text", text=text)], is_error=True)


class Calls:
    """Runs registry tools for MCP callers: the caller's user and scope, errors as results, audit, observation."""

    def __init__(
        self,
        ctx: Context,
        caller: Callable[[], Caller],
        observer: Observer,
        inline_quick: Callable[[], bool] | None = None,
    ):
        self.ctx = ctx
        self.caller = caller
        self.observer = observer
        self.inline_quick = inline_quick or (lambda: False)

    def view(self, caller: Caller) -> Context:
        """The Context a caller's tool call runs in: their user's data, face mcp, their scope on the event."""
        data: dict[str, Any] = {"scope": caller.scope}
        if caller.token_id:
            data["token_id"] = caller.token_id
        # A token means a remote caller: its file paths stay inside the user's folder (tools/files.py).
        return replace(self.ctx.for_user(caller.user), face="mcp", event_data=data, local_files=caller.token_id is None)

    async def call(self, spec: ToolListing, arguments: dict[str, Any], json_fields: frozenset[str]) -> CallToolResult:
        caller = self.caller()
        started = time.perf_counter()
        code: str | None = None
        if not caller.may_call(spec):
            need = required_scope(spec)
            code = "forbidden"
            result = error_result(code, f"{spec.name} needs the {need!r} scope; this token has {caller.scope!r}.",
                                  "ask for a token with that scope (echotune mcp token create --scope ...)")  # fmt: skip
        else:
            try:
                args = _decode_json_strings(arguments, json_fields)
                if spec.quick and self.inline_quick():
                    out = call_tool(self.view(caller), spec.name, args)
                else:
                    out = await anyio.to_thread.run_sync(call_tool, self.view(caller), spec.name, args)
                data = out.model_dump(mode="json")
                result = CallToolResult(
                    content=[TextContent(type="text", text=orjson.dumps(data).decode())], structured_content=data
                )
            except EchoTuneError as exc:
                code = exc.code
                result = error_result(exc.code, exc.message, exc.hint)
            except Exception:
                code = "internal"
                from echotune.mcp_server.observe import log

                log.exception("tool %s failed unexpectedly", spec.name, extra={"tool": spec.name})
                result = error_result("internal", f"{spec.name} failed unexpectedly; the server log has the details.")
        self.observer.tool_call(spec.name, caller, "error" if code else "ok", code, time.perf_counter() - started,
                                changes=not spec.read_only)  # fmt: skip
        return result

    async def read(self, tool_name: str, arguments: dict[str, Any]) -> str:
        """A resource's content: the JSON output of a read-only tool for the caller's user."""
        from mcp.server.mcpserver.exceptions import ResourceError

        caller = self.caller()
        started = time.perf_counter()
        code = None
        try:
            out = await anyio.to_thread.run_sync(call_tool, self.view(caller), tool_name, arguments)
            return orjson.dumps(out.model_dump(mode="json")).decode()
        except EchoTuneError as exc:
            code = exc.code
            raise ResourceError(str(exc)) from None
        finally:
            self.observer.tool_call(tool_name, caller, "error" if code else "ok", code,
                                    time.perf_counter() - started, kind="resource")  # fmt: skip


def registry_tool(spec: ToolListing, calls: Calls) -> Tool:
    """The MCP tool for one registry entry: the registry's schemas, unchanged."""
    schema = spec.input_schema
    json_fields = json_string_fields(schema)

    async def run(arguments: dict[str, Any]) -> CallToolResult:
        return await calls.call(spec, arguments, json_fields)

    return Tool(
        fn=run,
        name=spec.name,
        description=spec.description,
        parameters=schema,
        fn_metadata=RegistryArguments(arg_model=_NoArguments, output_schema=spec.output_schema),
        is_async=True,
        annotations=annotations(spec),
        meta={"io.echotune/effect": spec.effect, "io.echotune/scope": required_scope(spec)},
    )


def caller_resolver(ctx: Context) -> Callable[[], Caller]:
    """Who is calling: the bearer token's user and scope on HTTP with auth; else (stdio, HTTP without auth) the
    installation's own user with every scope, as on the CLI."""
    me = Caller(user=ctx.user, scope="admin")

    def caller() -> Caller:
        from mcp.server.auth.middleware.auth_context import get_access_token

        token = get_access_token()
        if token is None:
            return me
        return Caller(user=token.subject or "", scope=(token.claims or {})["scope"], token_id=token.client_id)

    return caller


def listings(ctx: Context) -> dict[str, ToolListing]:
    """The registry's tool listings, cached in the data folder's cache/ for the next server process."""
    return tool_listings(ctx.config.cache_dir)


def build_server(
    ctx: Context,
    *,
    observer: Observer | None = None,
    caller: Callable[[], Caller] | None = None,
    tools: Mapping[str, ToolListing] | None = None,
    inline_quick: Callable[[], bool] | None = None,
    **server_kw: Any,
) -> MCPServer:
    """The MCPServer offering every registry tool, the echotune:// resources and the prompts.

    tools: the registry's listings when the caller has them already. inline_quick: whether quick tools may run
    on the event loop now (never, when not given). server_kw goes to MCPServer (token_verifier and auth for HTTP
    with bearer tokens).
    """
    from echotune.mcp_server.prompts import mcp_prompts
    from echotune.mcp_server.resources import mcp_resources

    observer = observer or Observer()
    calls = Calls(ctx, caller or caller_resolver(ctx), observer, inline_quick)
    tools = tools or listings(ctx)
    server: MCPServer = MCPServer(
        "echotune",
        title="EchoTune",
        version=__version__,
        instructions=INSTRUCTIONS,
        tools=[registry_tool(spec, calls) for spec in tools.values()],
        resources=mcp_resources(calls, tools),
        log_level="WARNING",
        **server_kw,
    )
    for prompt in mcp_prompts():
        server.add_prompt(prompt)
    return server
