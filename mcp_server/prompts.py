"""MCP prompts from prompts/mcp/*.md: the texts live with the other prompts, never in code.

Each file starts with TOML front matter between `+++` lines (title, description, and an `[arguments.NAME]`
table per argument with its description, `required` and `default`), then the text, where `${NAME}` is
replaced by the argument's value.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from importlib import resources
from string import Template
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from mcp.server.mcpserver.prompts import Prompt

MAX_ARGUMENT_CHARS = 500


@dataclass(frozen=True)
class PromptFile:
    name: str
    title: str
    description: str
    arguments: dict[str, dict[str, Any]]
    text: str

    def render(self, values: dict[str, Any]) -> str:
        unknown = sorted(set(values) - set(self.arguments))
        if unknown:
            raise ValueError(f"unknown argument(s) {unknown}; {self.name} takes {sorted(self.arguments)}")
        filled: dict[str, str] = {}
        for arg, spec in self.arguments.items():
            value = values.get(arg)
            if value is None or str(value).strip() == "":
                if spec.get("required"):
                    raise ValueError(f"{arg} is required: {spec['description']}")
                value = spec.get("default", "(not given)")
            value = str(value)
            if len(value) > MAX_ARGUMENT_CHARS:
                raise ValueError(f"{arg} is longer than {MAX_ARGUMENT_CHARS} characters")
            filled[arg] = value
        return Template(self.text).safe_substitute(filled)


def parse(name: str, source: str) -> PromptFile:
    _, front, text = source.split("+++\n", 2)
    meta = tomllib.loads(front)
    arguments = meta.get("arguments", {})
    for arg, spec in arguments.items():
        if not spec.get("description"):
            raise ValueError(f"prompt {name}: argument {arg} has no description")
    return PromptFile(name, meta["title"], meta["description"], arguments, text.strip() + "\n")


def prompt_files() -> list[PromptFile]:
    folder = resources.files("echotune.prompts").joinpath("mcp")
    return [
        parse(entry.name.removesuffix(".md"), entry.read_text(encoding="utf-8"))
        for entry in sorted(folder.iterdir(), key=lambda e: e.name)
        if entry.name.endswith(".md")
    ]


def _renderer(pf: PromptFile) -> Any:
    def render(**values: Any) -> str:
        return pf.render(values)

    return render


def mcp_prompts() -> list[Prompt]:
    from mcp.server.mcpserver.prompts import Prompt
    from mcp.server.mcpserver.prompts.base import PromptArgument

    out = []
    for pf in prompt_files():
        out.append(
            Prompt(
                name=pf.name,
                title=pf.title,
                description=pf.description,
                arguments=[
                    PromptArgument(name=a, description=s["description"], required=bool(s.get("required")))
                    for a, s in pf.arguments.items()
                ],
                fn=_renderer(pf),
            )
        )
    return out
