"""The agent's prompt texts, filled in for a run. The texts live in prompts/ (loaded by name); this file only
knows which placeholders they take."""

from __future__ import annotations

from string import Template
from typing import TYPE_CHECKING

from echotune.prompts import load

if TYPE_CHECKING:
    from echotune.tools.context import Context


def system_prompt(ctx: Context) -> str:
    """prompts/system.md for this user and day."""
    return Template(load("system")).safe_substitute(user=ctx.user, today=ctx.clock().date().isoformat()).strip()


def step_limit_note() -> str:
    """Added to the system prompt on the last step of a turn: answer, no more tools."""
    return load("step_limit").strip()


def step_limit_reply() -> str:
    """What the agent says when the model still wants tools on the last step."""
    return load("step_limit_reply").strip()
