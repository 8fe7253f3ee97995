"""Hand-written commands: the ones about the installation rather than a person's music."""

from __future__ import annotations

from typing import Annotated

import typer

from echotune.cli.app import app, state_of


@app.command()
def doctor(
    ctx: typer.Context, json_out: Annotated[bool, typer.Option("--json", help="Print the report as JSON.")] = False
) -> None:
    """Show what EchoTune uses (data dir, store, provider, Spotify or local player, Redis) and what is broken."""
    from echotune.cli.render import to_json
    from echotune.doctor import diagnose

    state = state_of(ctx)
    report = diagnose(state.flags, state.config_file)
    if json_out:
        print(to_json(report))
    else:
        from rich.console import Console
        from rich.table import Table

        marks = {"ok": "[green]✓[/]", "info": "[blue]·[/]", "warn": "[yellow]![/]", "error": "[red]✗[/]"}
        table = Table(show_header=False, box=None, padding=(0, 1))
        for check in report.checks:
            fix = f"\n[dim]→ {check.fix}[/]" if check.fix else ""
            table.add_row(marks[check.status], check.name, check.detail + fix)
        Console().print(table)
    if not report.ok:
        raise typer.Exit(5)


@app.command()
def demo(ctx: typer.Context) -> None:
    """A guided tour on the embedded defaults: catalog search, a track, stats, settings and a conflict."""
    from echotune.cli.demo import run_demo

    run_demo(state_of(ctx))


from echotune.cli import eval_commands  # noqa: E402, F401  (registers `echotune eval`)


@app.command()
def worker(
    ctx: typer.Context,
    consumer: Annotated[str | None, typer.Option(help="Consumer name in the group (default: host:pid).")] = None,
    once: Annotated[bool, typer.Option("--once", help="Apply what is waiting, then exit.")] = False,
) -> None:
    """Apply feedback events from the Redis stream (needs ECHOTUNE_REDIS_URL); run one or many."""
    import logging
    import signal
    import sys
    import threading

    from echotune.tools.feedback_stream import FeedbackWorker, backlog

    logging.basicConfig(level=logging.INFO, stream=sys.stderr, format="%(asctime)s %(name)s %(message)s")
    context = state_of(ctx).context()
    w = FeedbackWorker(context, **({"consumer": consumer} if consumer else {}))
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    print(f"worker {w.consumer}: consuming feedback; backlog {backlog(context)}", file=sys.stderr, flush=True)
    try:
        applied = w.run(stop=stop, once=once)
    except KeyboardInterrupt:
        applied = w.applied
    print(f"worker {w.consumer}: applied {applied} events", file=sys.stderr)
