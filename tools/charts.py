"""Terminal charts drawn with rich: horizontal and vertical bars, a heat map, sparklines.

Tool results that have a picture to show implement `__rich__` with these; the CLI prints such results as they
draw themselves, the agent and MCP faces see only the data. Pure text and colour, so they work in any terminal,
in a pipe and in tests.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from pydantic import BaseModel
from rich.console import Group, RenderableType
from rich.table import Table
from rich.text import Text

EIGHTHS = " ▏▎▍▌▋▊▉█"
LEVELS = " ▁▂▃▄▅▆▇█"
SHADES = "·░▒▓█"
BAR_STYLE = "green"


def _fmt(value: float) -> str:
    return f"{value:,.0f}" if float(value).is_integer() or abs(value) >= 100 else f"{value:,.2f}"


def bar_chart(
    labels: Sequence[str], values: Sequence[float], title: str = "", *, vertical: bool = False, width: int = 40
) -> RenderableType:
    """Bars for labelled values: horizontal (ranked lists) or vertical (hours, months)."""
    if vertical:
        return _columns(labels, values, title)
    top = max([*values, 0]) or 1
    table = Table.grid(padding=(0, 1))
    table.add_column(justify="right", max_width=38, no_wrap=True, overflow="ellipsis")
    table.add_column()
    table.add_column(justify="right")
    for label, value in zip(labels, values, strict=True):
        eighths = round(value / top * width * 8)
        bar = "█" * (eighths // 8) + (EIGHTHS[eighths % 8] if eighths % 8 else "")
        table.add_row(label, Text(bar, style=BAR_STYLE), _fmt(value))
    return Group(Text(title, style="bold"), table) if title else table


def _columns(labels: Sequence[str], values: Sequence[float], title: str, height: int = 8) -> RenderableType:
    top = max([*values, 0]) or 1
    levels = [round(v / top * height * 8) for v in values]
    lines = []
    for row in range(height, 0, -1):
        cells = []
        for level in levels:
            filled = level - (row - 1) * 8
            cells.append("██" if filled >= 8 else (LEVELS[filled] * 2 if filled > 0 else "  "))
        lines.append(Text(" ".join(cells), style=BAR_STYLE))
    step = max(1, len(labels) // 12)
    axis = " ".join((str(lab)[:2] if i % step == 0 else "  ") for i, lab in enumerate(labels))
    caption = f"{title} (max {_fmt(top)})" if title else f"max {_fmt(top)}"
    return Group(Text(caption, style="bold"), *lines, Text(axis, style="dim"))


def heatmap(rows: Sequence[str], cols: Sequence[str], matrix: Sequence[Sequence[float]]) -> RenderableType:
    """A grid of cells shaded from dark (nothing) to bright (the most)."""
    top = max((v for r in matrix for v in r), default=0) or 1
    table = Table.grid(padding=(0, 0))
    table.add_column(justify="right", min_width=4)
    for _ in cols:
        table.add_column(width=2)
    step = max(1, len(cols) // 8)
    table.add_row("", *[Text(c[:2] if i % step == 0 else "", style="dim") for i, c in enumerate(cols)])
    for label, values in zip(rows, matrix, strict=True):
        cells = []
        for v in values:
            x = v / top
            r, g, b = int(40 + 215 * x), int(60 + 150 * x**0.7), int(90 + 30 * (1 - x))
            cells.append(Text(SHADES[min(4, round(x * 4))] * 2, style=f"rgb({r},{g},{b})"))
        table.add_row(f"{label} ", *cells)
    return table


def sparkline(values: Sequence[float]) -> str:
    """One character per value, taller for more."""
    vals = [v for v in values if v == v]  # NaN-free
    if not vals:
        return ""
    lo, hi = min(vals), max(vals)
    span = (hi - lo) or 1
    return "".join(" " if v != v else LEVELS[1 + round((v - lo) / span * 7)] for v in values)


def records_table(title: str, items: Sequence[BaseModel]) -> RenderableType:
    """A table of records, with the columns their model names in `table_columns`."""
    if not items:
        return Text(f"no {title}", style="dim")
    columns = getattr(type(items[0]), "table_columns", None) or list(type(items[0]).model_fields)
    table = Table(title=title, title_justify="left", header_style="bold")
    for col in columns:
        table.add_column(col.replace("_", " "), overflow="fold")
    for item in items:
        row = item.model_dump(mode="json")
        table.add_row(*(_cell(row.get(c)) for c in columns))
    return table


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        return f"{value:g}"
    return str(value)


def with_table(result: BaseModel, chart: RenderableType) -> RenderableType:
    """A chart above the result's first list of records."""
    for name in type(result).model_fields:
        value = getattr(result, name)
        if isinstance(value, list) and value and isinstance(value[0], BaseModel):
            return Group(chart, records_table(name.replace("_", " "), value))
    return chart
