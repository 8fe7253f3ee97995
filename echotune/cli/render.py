"""Printing tool results: JSON for scripts, readable tables for people. Results go to stdout, nothing else.

Lists of records become tables (a record model may name its columns in a `table_columns` class variable);
everything else becomes one key/value table with dotted keys for nested values. A result with a `message` prints
it first; fields named in a `cli_hidden` class variable appear in --json only.
"""

from __future__ import annotations

from typing import Any

import orjson
from pydantic import BaseModel
from rich.console import Console
from rich.table import Table

console = Console()


def to_json(value: BaseModel | dict[str, Any]) -> str:
    data = value.model_dump(mode="json") if isinstance(value, BaseModel) else value
    return orjson.dumps(data, option=orjson.OPT_INDENT_2).decode()


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, list):
        return ", ".join(_cell(v) for v in value)
    if isinstance(value, dict):
        return ", ".join(f"{k}={_cell(v)}" for k, v in value.items())
    if isinstance(value, float):
        return f"{value:g}"
    return str(value)


def _flatten(data: dict[str, Any], prefix: str = "") -> dict[str, Any]:
    flat: dict[str, Any] = {}
    for key, value in data.items():
        if isinstance(value, dict) and value:
            flat.update(_flatten(value, f"{prefix}{key}."))
        else:
            flat[f"{prefix}{key}"] = value
    return flat


def _records_table(items: list[BaseModel], title: str) -> Table:
    columns = getattr(type(items[0]), "table_columns", None) or [
        k for k, v in items[0].model_dump(mode="json").items() if not isinstance(v, dict)
    ]
    table = Table(title=title, title_justify="left", header_style="bold")
    for col in columns:
        table.add_column(col.replace("_", " "), overflow="fold", no_wrap=col == "id")
    for item in items:
        row = item.model_dump(mode="json")
        table.add_row(*(_cell(row.get(c)) for c in columns))
    return table


def render(result: BaseModel, *, as_json: bool = False) -> None:
    """Print a tool result for a person, or as JSON."""
    if as_json:
        print(to_json(result))
        return
    if hasattr(result, "__rich__"):  # a result that draws itself (charts: tools/charts.py)
        console.print(result)
        return
    scalars: dict[str, Any] = {}
    tables: list[tuple[str, list[BaseModel]]] = []
    message = getattr(result, "message", None)
    if isinstance(message, str) and message:
        print(message)  # a result that says what happened in a sentence says it first, unwrapped
    hidden = set(getattr(result, "cli_hidden", ()))  # shown in --json only: the message says it already
    for name in type(result).model_fields:
        if name in hidden or (name == "message" and isinstance(message, str)):
            continue
        value = getattr(result, name)
        if isinstance(value, list) and (not value or isinstance(value[0], BaseModel)):
            tables.append((name.replace("_", " "), value))
        elif isinstance(value, BaseModel):
            scalars.update(_flatten(value.model_dump(mode="json"), f"{name}."))
        else:
            scalars[name] = value.model_dump(mode="json") if isinstance(value, BaseModel) else value
    if scalars:
        pairs = Table(show_header=False, box=None, padding=(0, 2, 0, 0))
        pairs.add_column(style="bold")
        pairs.add_column(overflow="fold")
        for key, value in _flatten(orjson.loads(orjson.dumps(scalars, default=str))).items():
            pairs.add_row(key.replace("_", " "), _cell(value))
        console.print(pairs)
    for title, items in tables:
        console.print(_records_table(items, title) if items else f"[dim]no {title}[/dim]")
