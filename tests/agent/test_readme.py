"""The README's agent section cannot drift: its Python example runs, and the chat commands it lists exist."""

from __future__ import annotations

import re
from pathlib import Path

from echotune.agent.chat import HELP
from echotune.tools.context import Context

README = Path(__file__).parents[2] / "README.md"


def agent_section() -> str:
    text = README.read_text(encoding="utf-8")
    start = text.index("## Talking to EchoTune: the agent")
    return text[start : text.index("\n## ", start + 10)]


def test_python_example_runs(ctx: Context, warm: Path) -> None:
    (code,) = re.findall(r"```python\n(.*?)```", agent_section(), re.S)
    exec(compile(code, "README.md", "exec"), {})


def test_slash_commands_match_the_chat() -> None:
    listed = set(re.findall(r"`/(\w+)", agent_section()))
    assert listed == set(re.findall(r"^  /(\w+)", HELP, re.M))
