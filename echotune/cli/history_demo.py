"""The listening-history part of `echotune demo`: import a generated Spotify download (both layouts), show
that importing again adds nothing, then ask the history and draw the insights. One call from cli/demo.py."""

from __future__ import annotations

import tempfile
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any, cast

from rich.console import Console

from echotune.cli.render import render
from echotune.tools.context import Context
from echotune.tools.registry import call_tool

TZ = "Europe/Berlin"


def history_tour(ctx: Context, step: Callable[[str, str | None], None], console: Console | None = None) -> None:
    """Generate a sample download, import it (twice), and show top lists, the clock and the insights."""
    from echotune.tools.history_import import ImportReport
    from echotune.tools.spotify_export import ExportSpec, generate_export

    console = console or Console()
    sample = ExportSpec(records=8000, start=date(2023, 1, 1), end=date(2024, 12, 31), seed=2024, artists=600)

    def tool(name: str, args: dict[str, Any]) -> Any:
        result = call_tool(ctx, name, args)
        render(result)
        return result

    with tempfile.TemporaryDirectory(prefix="echotune-demo-") as tmp:
        made = generate_export(Path(tmp), sample, as_zip=True)
        step(
            f"Your listening history: a generated Spotify download ({made.extended_records:,} plays, both layouts)",
            "echotune history import my_spotify_data.zip",
        )
        first = cast(ImportReport, call_tool(ctx, "history_import", {"paths": [str(made.root)]}))
        console.print(
            f"read {first.read:,} records: [bold]{first.imported:,} new plays[/], {first.duplicates:,} duplicates "
            f"(the Account data repeats the extended history), {first.invalid:,} invalid, "
            f"{first.learnt_tracks:,} tracks learnt, {first.videos_skipped:,} video plays skipped"
        )
        step("Importing the same download again counts nothing twice", "echotune history import my_spotify_data.zip")
        again = cast(ImportReport, call_tool(ctx, "history_import", {"paths": [str(made.root)]}))
        console.print(f"read {again.read:,}: {again.imported:,} new, {again.duplicates:,} duplicates")

    step("Top artists of 2024", f"echotune history top --what artists --period 2024 --timezone {TZ} --limit 5")
    tool("history_top", {"what": "artists", "period": "2024", "timezone": TZ, "limit": 5})
    step("When you listen", f"echotune history clock --timezone {TZ}")
    tool("history_clock", {"timezone": TZ})
    step("Insights: diversity, discoveries, taste by month, your journey", f"echotune insights summary --timezone {TZ}")
    tool("insights_summary", {"timezone": TZ})
    out = Path(ctx.config.data_dir) / "demo-insights.html"
    step("The same as an offline HTML report with interactive charts", f"echotune insights report --out {out}")
    tool("insights_report", {"out": str(out), "timezone": TZ})
