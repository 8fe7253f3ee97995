"""Prompt texts, loaded by name: no prompt strings are buried in code."""

from __future__ import annotations

from functools import cache
from importlib import resources


@cache
def load(name: str) -> str:
    """The text of prompts/<name>.md."""
    path = resources.files(__name__).joinpath(f"{name}.md")
    if not path.is_file():
        raise KeyError(f"no prompt named {name!r}")
    return path.read_text(encoding="utf-8")


def names() -> list[str]:
    return sorted(p.name.removesuffix(".md") for p in resources.files(__name__).iterdir() if p.name.endswith(".md"))
