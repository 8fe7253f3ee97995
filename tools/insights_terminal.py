"""The insights summary drawn for a terminal: the clock as a heat map, top lists as bars, taste and discovery
as sparklines and bars, the journey as a timeline (rich renderables; see tools/charts.py)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from rich.columns import Columns
from rich.console import Group, RenderableType
from rich.panel import Panel
from rich.rule import Rule
from rich.table import Table
from rich.text import Text

from echotune.tools.charts import bar_chart, heatmap, records_table, sparkline

if TYPE_CHECKING:
    from echotune.tools.insights import InsightsSummary

WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")


def _totals(s: InsightsSummary) -> RenderableType:
    t = s.totals
    grid = Table.grid(padding=(0, 2))
    for _ in range(4):
        grid.add_column()
    grid.add_row(
        f"[bold]{t.plays:,}[/] plays",
        f"[bold]{t.hours:,.0f}[/] hours",
        f"[bold]{t.distinct_tracks:,}[/] tracks",
        f"[bold]{t.distinct_artists:,}[/] artists",
    )
    grid.add_row(
        f"skip rate [bold]{t.skip_rate:.0%}[/]",
        f"[bold]{t.active_days:,}[/] active days",
        f"[bold]{t.minutes_per_active_day:.0f}[/] min a day",
        f"podcasts [bold]{t.podcast_plays:,}[/]",
    )
    return Panel(grid, title=f"{s.user} — {s.period} ({s.timezone})", title_align="left")


def _taste(s: InsightsSummary) -> RenderableType:
    months = s.taste[-24:]
    if not months:
        return Text("no music plays with audio features", style="dim")
    table = Table.grid(padding=(0, 1))
    table.add_column(style="bold")
    table.add_column()
    table.add_column(justify="right")
    for name in ("energy", "valence", "danceability"):
        values = [getattr(m, name) for m in months]
        known = [v for v in values if v is not None]
        table.add_row(
            name,
            Text(sparkline([float("nan") if v is None else v for v in values]), style="cyan"),
            f"{known[-1]:.2f}" if known else "",
        )
    genres = list(months[-1].genre_shares)
    for g in genres[:4]:
        values = [m.genre_shares.get(g, 0.0) for m in months]
        table.add_row(g[:18], Text(sparkline(values), style="magenta"), f"{values[-1]:.0%}")
    return Group(Text(f"Taste by month, {months[0].month} to {months[-1].month}", style="bold"), table)


def summary_view(s: InsightsSummary) -> RenderableType:
    d = s.diversity
    parts: list[RenderableType] = [
        _totals(s),
        Rule("Listening clock", align="left"),
        Text(f"busiest: {s.clock.peak_weekday} around {s.clock.peak_hour}:00", style="dim"),
        heatmap(list(WEEKDAYS), [f"{h:02d}" for h in range(24)], s.clock.matrix),
        Rule("Favourites", align="left"),
        Columns(
            [
                bar_chart([e.name for e in s.top_artists], [e.plays for e in s.top_artists], "Top artists", width=20),
                bar_chart([e.name for e in s.top_genres], [e.plays for e in s.top_genres], "Top genres", width=20),
            ],
            padding=(0, 4),
        ),
        bar_chart([f"{e.name} — {e.by}" for e in s.top_tracks], [e.plays for e in s.top_tracks], "Top tracks"),
        Rule("Diversity and discovery", align="left"),
        Text.from_markup(
            f"genre entropy [bold]{d.genre_entropy_bits:.2f}[/] bits (evenness {d.genre_evenness:.2f}, like "
            f"{d.effective_genres:.0f} equally played genres); artists like {d.effective_artists:.0f} equal ones; "
            f"top genre {d.top_genre or '-'} ({d.top_genre_share:.0%})\n"
            f"discovered [bold]{s.discovery.new_tracks:,}[/] tracks and {s.discovery.new_artists:,} artists "
            f"({s.discovery.per_month:.0f} tracks a month)"
            + ("" if s.period == "all time" else f"; {s.discovery.rate:.0%} of the tracks played were new")
        ),
        bar_chart(
            [m.month[2:] for m in s.discovery.months[-24:]],
            [m.new_tracks for m in s.discovery.months[-24:]],
            "New tracks per month",
            vertical=True,
        ),
        Rule("Taste evolution", align="left"),
        _taste(s),
        Rule("Music journey", align="left"),
        records_table("journey", s.journey),
        Rule("Listeners like you", align="left"),
        records_table("listeners like you", s.listeners_like_you.neighbours)
        if s.listeners_like_you.neighbours
        else Text(s.listeners_like_you.note, style="dim"),
    ]
    return Group(*parts)
