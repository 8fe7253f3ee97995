"""The `echotune` command: hand-written commands (doctor, demo, …) plus one command per registry tool.

Errors from the typed family print as one line with a hint and map to documented exit codes; `--debug`
shows the traceback. Start-up imports no torch, faiss, langchain or mcp: `echotune --help` stays instant.
"""

from __future__ import annotations

import sys
import traceback
from typing import Any

import typer

from echotune.cli import (
    agent_commands,  # noqa: F401  (chat and ask)
    commands,  # noqa: F401  (registers the hand-written commands)
    mcp_commands,  # noqa: F401  (mcp serve / token / config / audit)
    spotify_commands,  # noqa: F401  (spotify login / logout)
)
from echotune.cli.app import GROUP_HELP, app, group
from echotune.cli.state import CliState

for _name in GROUP_HELP:
    group(_name)


def main(argv: list[str] | None = None) -> int:
    """Entry point: run the CLI and turn every failure into a message and an exit code."""
    from echotune.tools.errors import EchoTuneError

    state = CliState()
    args = sys.argv[1:] if argv is None else argv
    command = typer.main.get_command(app)
    try:
        result = command.main(args=args, prog_name="echotune", standalone_mode=False, obj=state)
        return result if isinstance(result, int) else 0
    except EchoTuneError as exc:
        _print_error(state, exc.to_dict(), f"error: {exc.message}", exc.hint)
        return exc.exit_code
    except typer.Exit as exc:
        return exc.exit_code
    except typer.TyperException as exc:  # usage errors: bad option, missing argument, wrong type
        show = getattr(exc, "show", None)
        show() if show else print(f"error: {exc.format_message()}", file=sys.stderr)
        return exc.exit_code
    except (typer.Abort, KeyboardInterrupt):
        print("interrupted", file=sys.stderr)
        return 130
    except Exception as exc:
        _print_error(
            state,
            {"error": "internal", "message": str(exc)},
            f"unexpected error: {exc!r}",
            "run again with --debug for the traceback, and report it",
        )
        return 1
    finally:
        state.close()


def _print_error(state: CliState, data: dict[str, Any], message: str, hint: str | None) -> None:
    if state.debug:
        traceback.print_exc()
    if state.json:
        from echotune.cli.render import to_json

        print(to_json(data))
    print(message, file=sys.stderr)
    if hint:
        print(f"  hint: {hint}", file=sys.stderr)
