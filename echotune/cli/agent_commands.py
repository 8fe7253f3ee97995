"""`echotune chat` and `echotune ask`: the agent's terminal faces (hand-written: they are not registry tools).

Nothing heavy is imported here; LangGraph and the providers load when a command runs.
"""

from __future__ import annotations

import sys
from typing import Annotated

import typer

from echotune.cli.app import app, state_of

Provider = Annotated[
    str | None,
    typer.Option(help="offline, openai, gemini, openrouter or openai-compatible (default: your settings)."),
]
Model = Annotated[str | None, typer.Option(help="The provider's model (default: your settings or its default).")]
Confirm = Annotated[
    str | None,
    typer.Option(help="Ask before tools that: act (and delete), destroy (delete only), never. Default: config."),
]


def _confirm_policy(value: str | None) -> str | None:
    if value is not None and value not in ("act", "destroy", "never"):
        raise typer.BadParameter("--confirm must be act, destroy or never")
    return value


@app.command()
def chat(
    ctx: typer.Context,
    session: Annotated[str | None, typer.Option(help="Session name: the same name resumes a conversation.")] = None,
    provider: Provider = None,
    model: Model = None,
    confirm: Confirm = None,
) -> None:
    """Chat with EchoTune in the terminal: streamed answers, tool calls shown, /help for commands."""
    from echotune.agent.api import Agent
    from echotune.agent.chat import Chat, line_reader

    state = state_of(ctx)
    context = state.context()
    agent = Agent(context, confirm=_confirm_policy(confirm))  # type: ignore[arg-type]
    try:
        history = context.config.data_dir / "chat_history.txt"
        Chat(
            agent,
            session=session,
            provider=provider,
            model=model,
            read=line_reader(str(history)),
            color=sys.stdout.isatty(),
        ).run()
    finally:
        agent.close()


@app.command()
def ask(
    ctx: typer.Context,
    text: Annotated[str, typer.Argument(help='What to ask, e.g. "find three songs like hey jude".')],
    session: Annotated[str | None, typer.Option(help="Continue this session (default: a one-off).")] = None,
    provider: Provider = None,
    model: Model = None,
    confirm: Confirm = None,
    yes: Annotated[bool, typer.Option("--yes", "-y", help="Allow tools that act or delete without asking.")] = False,
    json_out: Annotated[bool, typer.Option("--json", help="Print {answer, tool_calls, usage} as JSON.")] = False,
) -> None:
    """Ask once and print the answer. Tools that act ask first on a terminal; elsewhere they need --yes."""
    from echotune.agent.api import Agent
    from echotune.agent.chat import Printer, approver
    from echotune.agent.events import ConfirmRequest, Done
    from echotune.cli.render import to_json

    state = state_of(ctx)
    state.json = json_out
    agent = Agent(state.context(), confirm=_confirm_policy(confirm))  # type: ignore[arg-type]
    interactive = sys.stdin.isatty() and sys.stderr.isatty()

    def ask_on_stderr(prompt: str) -> str:
        sys.stderr.write(prompt)
        sys.stderr.flush()
        return sys.stdin.readline()

    approve = True if yes else (approver(ask_on_stderr) if interactive else False)
    printer = Printer(out=sys.stdout, notes=sys.stderr, color=sys.stderr.isatty()) if not json_out else None
    declined = False
    try:
        for event in agent.stream(text, session=session, approve=approve, provider=provider, model=model):
            if isinstance(event, ConfirmRequest) and approve is False:
                declined = True
            if printer is not None:
                printer.event(event)
            if isinstance(event, Done) and json_out:
                print(to_json(event.reply))
    finally:
        agent.close()
    if declined:
        print("note: a tool that changes things was not run; add --yes to allow it", file=sys.stderr)
