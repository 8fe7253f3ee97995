"""`echotune demo`: on a terminal, a chat with the offline agent; otherwise a scripted tour of what works on the
embedded defaults, through the same registry the agent and the MCP server use, ending with a few agent turns.
It acts as the user "demo", so a person's own settings stay untouched."""

from __future__ import annotations

import sys
from typing import Any

from rich.console import Console
from rich.rule import Rule

from echotune.cli.render import render
from echotune.cli.state import CliState
from echotune.tools.errors import ConflictError
from echotune.tools.registry import call_tool

console = Console()
DEMO_USER = "demo"


def _step(title: str, call: str | None = None) -> None:
    console.print(Rule(f"[bold]{title}", align="left"))
    if call:
        console.print(f"[dim]$ {call}[/dim]")


def run_demo(state: CliState) -> None:
    if sys.stdin.isatty() and sys.stdout.isatty():
        _chat(state)
    else:
        _tour(state)


def _chat(state: CliState) -> None:
    """The interactive demo: the terminal chat on the offline model, as the demo user."""
    from echotune.agent.api import Agent
    from echotune.agent.chat import Chat, line_reader

    ctx = state.context().for_user(DEMO_USER)
    console.print(
        "[bold]EchoTune demo[/]: chat with the offline model (no key, no network), as the user 'demo'.\n"
        "Try: [italic]find three songs like hey jude[/], [italic]tell me about the first one[/], "
        "[italic]set diversity to 0.5[/], [italic]what did I change in my settings[/]. "
        "(`echotune demo < /dev/null` shows the scripted tour.)"
    )
    with Agent(ctx) as agent:
        Chat(
            agent, session="demo", provider="offline", read=line_reader(str(ctx.config.data_dir / "chat_history.txt"))
        ).run()


def _agent_turns(ctx: Any) -> None:
    """A few turns with the offline agent: streamed answers and one line per tool call."""
    from echotune.agent.api import Agent
    from echotune.agent.chat import Printer

    turns = (
        "find bohemian rhapsody",
        "tell me about the first one",
        "set diversity to 0.4",
        "what did I change in my settings",
        "who were my top artists in 2024",
        "recommend songs like hey jude",
        "I don't like the first one",
        "something calm for a rainy sunday",
    )
    with Agent(ctx, checkpointer="memory", approve=True) as agent:
        for text in turns:
            console.print(f"[bold]you>[/] {text}")
            printer = Printer(out=sys.stdout, color=console.is_terminal, prefix="echotune> ")
            for event in agent.stream(text, session="demo-tour", provider="offline"):
                printer.event(event)
            sys.stdout.flush()


def _tour(state: CliState) -> None:
    ctx = state.context().for_user(DEMO_USER)
    cfg = ctx.config

    def tool(name: str, args: dict[str, Any] | None = None) -> Any:
        result = call_tool(ctx, name, args or {})
        render(result)
        return result

    linked = ctx.player.backend == "spotify"
    playback = "Spotify (your linked account)" if linked else "local player (no Spotify account linked)"
    _step("EchoTune demo: what is in use")
    console.print(
        f"data dir  {cfg.data_dir}\nstore     {ctx.store.backend} ({ctx.store.location})\n"
        f"provider  offline (no key, no network)\nplayback  {playback}\n"
        f"user      {ctx.user}"
    )

    _step("The bundled catalog (MusicOSet, 20,405 real songs)", "echotune catalog stats")
    tool("catalog_stats", {"top": 5})

    _step("Search tolerates typos: 'hey jue'", "echotune catalog search 'hey jue' --limit 3")
    hits = tool("catalog_search", {"query": "hey jue", "limit": 3})

    _step("…and accents: 'beyonce', 2016 and later", "echotune catalog search beyonce --year-from 2016 --limit 3")
    tool("catalog_search", {"query": "beyonce", "year_from": 2016, "limit": 3})

    if hits.tracks:
        _step("One track in full", f"echotune catalog show {hits.tracks[0].id}")
        tool("catalog_get", {"track": hits.tracks[0].id})

    if not linked:  # never take over someone's real Spotify for a demo
        _step("The local player plays the catalog by name", 'echotune player play "hey jude"')
        tool("player_play", {"what": "hey jude"})
        _step("Queue what comes next, and see the queue", 'echotune queue add "bohemian rhapsody"')
        tool("queue_add", {"track": "bohemian rhapsody"})
        tool("queue_show", {"limit": 3})
        _step("Skip: the skipped song is recorded as a play, like Spotify would", "echotune player next")
        tool("player_next")

    _step("Your settings are versioned", "echotune settings show")
    view = tool("settings_get")
    read_version = view.version
    new_diversity = 0.5 if view.settings.recommendation.diversity != 0.5 else 0.4

    _step("Change one", f"echotune settings set recommendation.diversity {new_diversity}")
    tool(
        "settings_update", {"key": "recommendation.diversity", "value": new_diversity, "expected_version": read_version}
    )

    _step(
        "A second device still holding the old version is refused, nothing lost",
        f"echotune settings set recommendation.diversity 0.9 --expected-version {read_version}",
    )
    try:
        call_tool(
            ctx, "settings_update", {"key": "recommendation.diversity", "value": 0.9, "expected_version": read_version}
        )
    except ConflictError as exc:
        console.print(f"[yellow]conflict:[/] {exc.message}\n[dim]hint: {exc.hint}[/dim]")

    _step("Every change is logged", "echotune settings history --limit 3")
    tool("settings_history", {"limit": 3})

    from echotune.cli.history_demo import history_tour

    history_tour(ctx, _step, console)

    _step("Talk to it: the agent on the offline model (no key, no network)", "echotune chat")
    _agent_turns(ctx)
    console.print("\nNext: [bold]echotune chat[/], [bold]echotune --help[/], [bold]echotune doctor[/].")
