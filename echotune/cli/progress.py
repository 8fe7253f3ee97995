"""Progress on stderr (never stdout, which belongs to results, --json and the MCP protocol)."""

from __future__ import annotations

import sys
from collections.abc import Callable

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

stderr = Console(stderr=True)


def progress_callback() -> Callable[[str, int, int], None]:
    """A progress(task, done, total) callback: a live bar on a terminal, one line per task otherwise."""
    bars: dict[str, tuple[Progress, int]] = {}
    announced: set[str] = set()

    def report(task: str, done: int, total: int) -> None:
        if not sys.stderr.isatty():
            if task not in announced:
                announced.add(task)
                print(f"{task} ({total:,} items)…", file=sys.stderr, flush=True)
            return
        if task not in bars:
            bar = Progress(
                TextColumn("{task.description}"),
                BarColumn(),
                MofNCompleteColumn(),
                TimeRemainingColumn(),
                console=stderr,
                transient=True,
            )
            bar.start()
            bars[task] = (bar, bar.add_task(task, total=total))
        bar, task_id = bars[task]
        bar.update(task_id, completed=done, total=total)
        if done >= total:
            bar.stop()
            del bars[task]

    return report
