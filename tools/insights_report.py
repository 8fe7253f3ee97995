"""The insights as one self-contained HTML file: interactive plotly charts whose JavaScript is inside the
file, so it opens with no network (checked in headless Chromium by tests/history/test_report_chromium.py).

Figures are plain plotly JSON (data + layout) handed to Plotly.newPlot; plotly.py supplies the library
(`plotly.offline.get_plotlyjs`), so nothing is built through its slower figure-validation layer.
"""

from __future__ import annotations

import html
import os
from pathlib import Path
from typing import TYPE_CHECKING, Any

import orjson

if TYPE_CHECKING:
    from echotune.tools.insights import InsightsSummary

WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
PALETTE = ("#1db954", "#4a90d9", "#e0644f", "#f2b134", "#9b59b6", "#16a085", "#7f8c8d")
BASE_LAYOUT: dict[str, Any] = {
    "margin": {"l": 60, "r": 20, "t": 50, "b": 50},
    "paper_bgcolor": "#ffffff",
    "plot_bgcolor": "#fafafa",
    "font": {"family": "system-ui, -apple-system, Segoe UI, Roboto, sans-serif", "size": 13},
    "height": 380,
}


def _short(label: str, width: int = 48) -> str:
    return label if len(label) <= width else label[: width - 1] + "…"


def _layout(title: str, **extra: Any) -> dict[str, Any]:
    return {**BASE_LAYOUT, "title": {"text": title, "x": 0.01}, **extra}


def figures(s: InsightsSummary) -> list[tuple[str, str, dict[str, Any]]]:
    """(id, title, {data, layout}) of every chart, in page order."""
    out: list[tuple[str, str, dict[str, Any]]] = []
    hours = [f"{h:02d}:00" for h in range(24)]
    out.append(
        (
            "clock",
            "Listening clock",
            {
                "data": [
                    {
                        "type": "heatmap",
                        "z": s.clock.matrix,
                        "x": hours,
                        "y": list(WEEKDAYS),
                        "colorscale": "Viridis",
                        "hovertemplate": "%{y} %{x}: %{z} plays<extra></extra>",
                    }
                ],
                "layout": _layout(
                    f"Listening clock ({s.timezone}) — busiest {s.clock.peak_weekday} around {s.clock.peak_hour}:00",
                    yaxis={"autorange": "reversed"},
                ),
            },
        )
    )
    for key, title, entries in (
        ("top-artists", "Top artists", s.top_artists),
        ("top-tracks", "Top tracks", s.top_tracks),
        ("top-genres", "Top genres", s.top_genres),
    ):
        if not entries:
            continue
        labels = [_short(f"{e.name} — {e.by}" if e.by else e.name) for e in entries][::-1]
        out.append(
            (
                key,
                title,
                {
                    "data": [
                        {
                            "type": "bar",
                            "orientation": "h",
                            "x": [e.plays for e in entries][::-1],
                            "y": labels,
                            "marker": {"color": PALETTE[0]},
                            "customdata": [e.minutes for e in entries][::-1],
                            "hovertemplate": "%{y}: %{x} plays, %{customdata} min<extra></extra>",
                        }
                    ],
                    "layout": _layout(
                        f"{title}, {s.period}",
                        height=max(300, 32 * len(entries) + 120),
                        margin={"l": 330, "r": 20, "t": 50, "b": 40},
                    ),
                },
            )
        )
    months = [m.month for m in s.taste]
    if s.taste:
        genres = list(s.taste[-1].genre_shares) or []
        names = sorted({g for m in s.taste for g in m.genre_shares}, key=lambda g: -sum(
            m.genre_shares.get(g, 0) for m in s.taste))  # fmt: skip
        out.append(
            (
                "taste-genres",
                "Genre shares by month",
                {
                    "data": [
                        {
                            "type": "scatter",
                            "mode": "lines",
                            "stackgroup": "genres",
                            "name": g,
                            "x": months,
                            "y": [m.genre_shares.get(g, 0.0) for m in s.taste],
                            "line": {"color": PALETTE[i % len(PALETTE)]},
                        }
                        for i, g in enumerate(names or genres)
                    ],
                    "layout": _layout(
                        "Taste evolution: share of plays of your top genres, by month", yaxis={"tickformat": ".0%"}
                    ),
                },
            )
        )
        out.append(
            (
                "taste-features",
                "Audio features by month",
                {
                    "data": [
                        {
                            "type": "scatter",
                            "mode": "lines+markers",
                            "name": name,
                            "x": months,
                            "y": [getattr(m, name) for m in s.taste],
                            "line": {"color": PALETTE[i + 1]},
                            "connectgaps": True,
                        }
                        for i, name in enumerate(("energy", "valence", "danceability"))
                    ],
                    "layout": _layout("Taste evolution: average energy, valence and danceability of what you played"),
                },
            )
        )
    if s.discovery.months:
        dm = s.discovery.months
        out.append(
            (
                "discoveries",
                "Discoveries by month",
                {
                    "data": [
                        {
                            "type": "bar",
                            "name": "new tracks",
                            "x": [m.month for m in dm],
                            "y": [m.new_tracks for m in dm],
                            "marker": {"color": PALETTE[0]},
                        },
                        {
                            "type": "bar",
                            "name": "new artists",
                            "x": [m.month for m in dm],
                            "y": [m.new_artists for m in dm],
                            "marker": {"color": PALETTE[1]},
                        },
                        {
                            "type": "scatter",
                            "mode": "lines",
                            "name": "discovery rate",
                            "x": [m.month for m in dm],
                            "y": [m.discovery_rate for m in dm],
                            "yaxis": "y2",
                            "line": {"color": PALETTE[2]},
                        },
                    ],
                    "layout": _layout(
                        f"Discoveries: {s.discovery.new_tracks:,} new tracks, {s.discovery.new_artists:,} new "
                        f"artists, {s.discovery.per_month:.0f} new tracks a month"
                        + ("" if s.period == "all time" else f" ({s.discovery.rate:.0%} of the tracks played)"),
                        barmode="group",
                        yaxis2={"overlaying": "y", "side": "right", "tickformat": ".0%", "range": [0, 1]},
                        legend={"orientation": "h", "y": -0.2},
                    ),
                },
            )
        )
    d = s.diversity
    out.append(
        (
            "diversity",
            "Diversity",
            {
                "data": [
                    {
                        "type": "indicator",
                        "mode": "gauge+number",
                        "value": d.genre_evenness,
                        "number": {"valueformat": ".2f"},
                        "title": {"text": f"genre evenness ({d.effective_genres:.0f} effective genres)"},
                        "gauge": {"axis": {"range": [0, 1]}, "bar": {"color": PALETTE[0]}},
                        "domain": {"x": [0, 0.45], "y": [0, 0.8]},
                    },
                    {
                        "type": "indicator",
                        "mode": "number",
                        "value": d.effective_artists,
                        "number": {"valueformat": ".0f"},
                        "title": {"text": "effective number of artists"},
                        "domain": {"x": [0.55, 1], "y": [0, 0.8]},
                    },
                ],
                "layout": _layout(
                    f"Diversity: genre entropy {d.genre_entropy_bits:.2f} bits; top genre {d.top_genre or '-'} "
                    f"({d.top_genre_share:.0%})",
                    height=300,
                ),
            },
        )
    )
    if s.journey:
        out.append(
            (
                "journey",
                "Music journey",
                {
                    "data": [
                        {
                            "type": "scatter",
                            "mode": "markers+text",
                            "x": [e.date.isoformat() for e in s.journey],
                            "y": [i % 4 for i in range(len(s.journey))],
                            "text": [e.what for e in s.journey],
                            "textposition": "top center",
                            "customdata": [e.detail for e in s.journey],
                            "hovertemplate": "%{x|%Y-%m-%d}: %{text}<br>%{customdata}<extra></extra>",
                            "marker": {"size": 12, "color": PALETTE[1]},
                        }
                    ],
                    "layout": _layout(
                        "Music journey: milestones and each year's favourites (hover for details)",
                        yaxis={"visible": False, "range": [-0.5, 4]},
                        height=320,
                    ),
                },
            )
        )
    n = s.listeners_like_you.neighbours
    if n:
        out.append(
            (
                "listeners",
                "Listeners like you",
                {
                    "data": [
                        {
                            "type": "bar",
                            "x": [x.listener for x in n],
                            "y": [x.similarity for x in n],
                            "text": [", ".join(x.they_also_love[:3]) for x in n],
                            "hovertemplate": "%{x}: similarity %{y:.2f}<br>they also love %{text}<extra></extra>",
                            "marker": {"color": PALETTE[4]},
                        }
                    ],
                    "layout": _layout("Listeners like you (opted in)", yaxis={"range": [0, 1]}, height=300),
                },
            )
        )
    return out


PAGE = """<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title}</title>
<style>
body {{ font-family: system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; margin: 0; background: #f3f4f6;
  color: #1f2937; }}
header {{ background: #121212; color: #fff; padding: 24px 32px; }}
header h1 {{ margin: 0 0 6px 0; font-size: 24px; }}
header p {{ margin: 0; color: #b3b3b3; }}
main {{ max-width: 1100px; margin: 0 auto; padding: 16px; }}
.stats {{ display: grid; grid-template-columns: repeat(auto-fit, minmax(150px, 1fr)); gap: 12px; margin: 16px 0; }}
.stat {{ background: #fff; border-radius: 10px; padding: 14px; box-shadow: 0 1px 2px rgba(0,0,0,.08); }}
.stat b {{ display: block; font-size: 22px; color: #1db954; }}
.chart {{ background: #fff; border-radius: 10px; margin: 16px 0; padding: 8px;
  box-shadow: 0 1px 2px rgba(0,0,0,.08); min-height: 200px; }}
footer {{ color: #6b7280; font-size: 12px; text-align: center; padding: 24px; }}
</style></head>
<body>
<header><h1>{title}</h1><p>{subtitle}</p></header>
<main>
<section class="stats">{stats}</section>
{divs}
</main>
<footer>Made by EchoTune from your own listening history. Works offline: the charts' library is inside this file.
</footer>
<script>{plotly}</script>
<script>
const FIGURES = {figures};
const config = {{responsive: true, displaylogo: false, showLink: false, modeBarButtonsToRemove: ["toImage"]}};
Promise.all(FIGURES.map(f => Plotly.newPlot(f.id, f.data, f.layout, config)))
  .then(() => document.body.setAttribute("data-charts-rendered", String(FIGURES.length)))
  .catch(e => document.body.setAttribute("data-charts-error", String(e)));
</script>
</body></html>
"""


def _stat(label: str, value: str) -> str:
    return f'<div class="stat"><b>{html.escape(value)}</b>{html.escape(label)}</div>'


def render_html(s: InsightsSummary) -> tuple[str, list[str]]:
    """The page, and the ids of its charts."""
    from plotly.offline import get_plotlyjs

    figs = figures(s)
    t = s.totals
    stats = "".join(
        (
            _stat("plays", f"{t.plays:,}"),
            _stat("hours listened", f"{t.hours:,.0f}"),
            _stat("tracks", f"{t.distinct_tracks:,}"),
            _stat("artists", f"{t.distinct_artists:,}"),
            _stat("skip rate", f"{t.skip_rate:.0%}"),
            _stat("new tracks a month", f"{s.discovery.per_month:.0f}"),
        )
    )
    divs = "\n".join(
        f'<div class="chart" id="{fid}" role="img" aria-label="{html.escape(title)}"></div>' for fid, title, _ in figs
    )
    payload = orjson.dumps(
        [{"id": fid, **fig} for fid, _, fig in figs], option=orjson.OPT_SERIALIZE_NUMPY | orjson.OPT_NON_STR_KEYS
    ).decode()
    page = PAGE.format(
        title=html.escape(f"Listening insights — {s.user}"),
        subtitle=html.escape(f"{s.period} · {s.timezone}"),
        stats=stats,
        divs=divs,
        plotly=get_plotlyjs(),
        figures=payload.replace("</", "<\\/"),
    )
    return page, [fid for fid, _, _ in figs]


def write_report(s: InsightsSummary, path: Path) -> list[str]:
    """Write the page to `path` (atomically); returns the chart ids."""
    page, charts = render_html(s)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    tmp.write_text(page, encoding="utf-8")
    os.replace(tmp, path)
    return charts
