"""The root Typer app, its global options, and the command groups every command module shares."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer
from typer.core import TyperGroup

from echotune.cli.state import CliState

app = typer.Typer(
    name="echotune",
    help="EchoTune: a conversational music agent and MCP tool server.\n\n"
    "Runs offline by default (SQLite, the bundled catalog, the offline model, the local player); "
    "`echotune doctor` shows what is in use.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,  # main() prints every error itself; --debug shows the traceback
    rich_markup_mode="rich",
    context_settings={"help_option_names": ["-h", "--help"]},
)

GROUP_HELP = {  # every registry tool group, with its help (a test checks this against the registry)
    "catalog": "Search and inspect the music catalog.",
    "settings": "Show and change your settings (versioned: a stale change is refused).",
    "player": "Play, pause, skip, seek, volume, shuffle, repeat: on Spotify when linked, else the local player.",
    "queue": "Add to the play queue and see what plays next.",
    "devices": "List the devices that can play and move playback between them.",
    "playlists": "Your playlists: list, create, add and remove tracks, list items.",
    "library": "Your saved tracks, top tracks and artists, and what you played recently.",
    "spotify": "Link a Spotify account (login, logout), search Spotify, sync your Spotify listening.",
    "history": "Import your Spotify listening history; top lists, clock, sessions, search; export or delete it.",
    "insights": "Personal insights from your history: terminal charts and an offline HTML report.",
    "analytics": "System analytics: tool calls, latency, errors and model provider costs.",
}

_groups: dict[str, typer.Typer] = {}


class ToolGroup(TyperGroup):
    """A command group whose registry commands are built on first use, so `echotune --help` never imports
    the tool modules (pydantic models and all); hand-written commands of the same group live beside them."""

    _tools: dict[str, Any] | None = None

    def tools(self) -> dict[str, Any]:
        if self._tools is None:
            from echotune.cli.tool_commands import tool_commands

            self._tools = tool_commands(self.name or "")
        return self._tools

    def list_commands(self, ctx: Any) -> list[str]:
        return sorted({*super().list_commands(ctx), *self.tools()})

    def get_command(self, ctx: Any, cmd_name: str) -> Any:
        return super().get_command(ctx, cmd_name) or self.tools().get(cmd_name)


def group(name: str) -> typer.Typer:
    """The sub-app for `echotune NAME ...`: registry tools of that group load on first use (ToolGroup),
    and hand-written commands may be added to it too."""
    if name not in _groups:
        _groups[name] = typer.Typer(help=GROUP_HELP.get(name), no_args_is_help=True, cls=ToolGroup)
        app.add_typer(_groups[name], name=name)
    return _groups[name]


@app.callback()
def root(
    ctx: typer.Context,
    data_dir: Annotated[Path | None, typer.Option(help="Data folder (env ECHOTUNE_DATA_DIR).")] = None,
    config: Annotated[Path | None, typer.Option(help="TOML config file (env ECHOTUNE_CONFIG).")] = None,
    user: Annotated[str | None, typer.Option(help="Whose data to use (env ECHOTUNE_USER).")] = None,
    store: Annotated[str | None, typer.Option(help="Storage backend: sqlite or mongo (env ECHOTUNE_STORE).")] = None,
    debug: Annotated[bool, typer.Option(help="Show tracebacks on errors.")] = False,
) -> None:
    state = ctx.ensure_object(CliState)
    state.flags = {"data_dir": data_dir, "user": user, "store": store}
    state.config_file = config
    state.debug = debug


def state_of(ctx: typer.Context) -> CliState:
    return ctx.ensure_object(CliState)
