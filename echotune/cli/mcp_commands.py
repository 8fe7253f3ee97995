"""`echotune mcp`: serve the MCP server (stdio, or streamable HTTP with --http), manage its bearer tokens,
print client configuration, and show the audit log. Nothing here imports the mcp SDK until a server starts."""

from __future__ import annotations

import sys
from enum import StrEnum
from typing import TYPE_CHECKING, Annotated

import typer

from echotune.cli.app import app, state_of

if TYPE_CHECKING:
    from echotune.tools.context import Context

mcp_app = typer.Typer(
    help="The MCP server: `echotune mcp` serves over stdio (for Claude Desktop and IDEs), `--http` over "
    "streamable HTTP. Tokens, client configuration and the audit log are subcommands.",
    invoke_without_command=True,
    no_args_is_help=False,
)
token_app = typer.Typer(help="Bearer tokens for the HTTP server: each belongs to one user and has one scope.")
mcp_app.add_typer(token_app, name="token")
app.add_typer(mcp_app, name="mcp")


class ScopeChoice(StrEnum):
    read = "read"
    control = "control"
    admin = "admin"


class LogFormatChoice(StrEnum):
    text = "text"
    json = "json"


class ClientChoice(StrEnum):
    claude_desktop = "claude-desktop"
    cursor = "cursor"
    vscode = "vscode"


@mcp_app.callback()
def serve(
    ctx: typer.Context,
    http: Annotated[bool, typer.Option("--http", help="Serve streamable HTTP instead of stdio.")] = False,
    host: Annotated[str, typer.Option(help="HTTP: address to bind. Anything but loopback requires auth.")] = (
        "127.0.0.1"
    ),
    port: Annotated[int, typer.Option(help="HTTP: port to bind (0 picks a free one).", min=0, max=65535)] = 8765,
    auth: Annotated[
        bool | None,
        typer.Option("--auth/--no-auth", help="HTTP: require bearer tokens (default: on unless bound to loopback)."),
    ] = None,
    stateless: Annotated[
        bool, typer.Option(help="HTTP: no sessions, JSON responses (for load balancers and --workers).")
    ] = False,
    workers: Annotated[int, typer.Option(help="HTTP: worker processes (more than 1 implies --stateless).", min=1)] = 1,
    allow_origin: Annotated[
        list[str] | None,
        typer.Option(help="HTTP: a browser Origin allowed to call (repeatable); loopback origins always are."),
    ] = None,
    public_url: Annotated[
        str | None, typer.Option(help="HTTP: the URL clients use, when behind a proxy (for auth metadata).")
    ] = None,
    log_format: Annotated[LogFormatChoice, typer.Option(help="Log lines on stderr as text or JSON.")] = (
        LogFormatChoice.text
    ),
    log_level: Annotated[str, typer.Option(help="debug, info, warning or error.")] = "info",
) -> None:
    """Serve EchoTune's tools, resources and prompts over MCP."""
    if ctx.invoked_subcommand is not None:
        return
    from echotune.mcp_server.logs import configure

    configure(log_level, log_format.value)
    state = state_of(ctx)
    if not http:
        from echotune.mcp_server.run import run_stdio

        run_stdio(state.config())
        return
    from echotune.mcp_server.http import HttpOptions, run_http

    options = HttpOptions(
        host=host,
        port=port,
        auth=auth,
        stateless=stateless or workers > 1,
        workers=workers,
        allowed_origins=tuple(allow_origin or ()),
        public_url=public_url,
        log_level=log_level,
        log_format=log_format.value,
    )
    run_http(state.config(), options)


def _context(ctx: typer.Context) -> Context:
    return state_of(ctx).context()


@token_app.command("create")
def token_create(
    ctx: typer.Context,
    user: Annotated[str, typer.Option(help="Whose data the token's calls act on.")],
    scope: Annotated[
        ScopeChoice,
        typer.Option(
            help="read: read-only tools; control: also playback and "
            "playlists; admin: also settings, deletion and system analytics."
        ),
    ],
    label: Annotated[str, typer.Option(help="A note to recognise the token by.")] = "",
    rate: Annotated[int, typer.Option(help="Calls per minute before the server answers 429.", min=1)] = 600,
) -> None:
    """Create a bearer token. It is printed once, here; only its SHA-256 is stored."""
    from echotune.mcp_server.auth import create_token

    secret, record = create_token(_context(ctx), user=user, scope=scope.value, label=label, rate_per_min=rate)
    print(secret)
    print(
        f"token {record.id} for user {record.user!r}, scope {record.scope}, {record.rate_per_min} calls/min. "
        "Store it now: it is not shown again.",
        file=sys.stderr,
    )


@token_app.command("list")
def token_list(
    ctx: typer.Context,
    user: Annotated[str | None, typer.Option(help="Only this user's tokens.")] = None,
    all_: Annotated[bool, typer.Option("--all", help="Include revoked tokens.")] = False,
    json_out: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """List tokens (ids, users, scopes, last use): never the tokens themselves."""
    from pydantic import BaseModel

    from echotune.cli.render import render
    from echotune.tools.models import ApiToken

    class Tokens(BaseModel):
        tokens: list[ApiToken]

    render(Tokens(tokens=_context(ctx).store.tokens.list(user=user, include_revoked=all_)), as_json=json_out)


@token_app.command("revoke")
def token_revoke(ctx: typer.Context, token_id: Annotated[str, typer.Argument(help="The token's id.")]) -> None:
    """Revoke a token: servers refuse it within a few seconds."""
    from echotune.mcp_server.auth import revoke_token

    revoke_token(_context(ctx), token_id)
    print(f"revoked {token_id}", file=sys.stderr)


@mcp_app.command("config")
def config(
    ctx: typer.Context,
    client: Annotated[ClientChoice, typer.Option(help="Which client's configuration format.")] = (
        ClientChoice.claude_desktop
    ),
) -> None:
    """Print a ready configuration entry for an MCP client, with the absolute path of this executable."""
    from echotune.cli.render import to_json
    from echotune.mcp_server.clients import client_config

    entry, where = client_config(client.value, state_of(ctx).config())
    print(to_json(entry))
    print(f"add this to {where}", file=sys.stderr)


@mcp_app.command("audit")
def audit(
    ctx: typer.Context,
    user: Annotated[str | None, typer.Option(help="Only this user's calls.")] = None,
    limit: Annotated[int, typer.Option(help="How many entries, newest first.", min=1, max=10_000)] = 50,
    json_out: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """The audit log: every acting or destructive call made over MCP, with its arguments and outcome."""
    from pydantic import BaseModel

    from echotune.cli.render import render
    from echotune.tools.models import AuditEntry

    class Audit(BaseModel):
        entries: list[AuditEntry]

    render(Audit(entries=_context(ctx).store.audit.list(user=user, limit=limit)), as_json=json_out)
