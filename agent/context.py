"""The run context: what one agent run needs besides its state (services, model, tools, limits).

Passed to every node as `runtime.context`, so one compiled graph serves any provider, user and policy.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Literal

if TYPE_CHECKING:
    from langchain_core.language_models import BaseChatModel
    from langchain_core.runnables import Runnable

    from echotune.tools.context import Context
    from echotune.tools.registry import ToolSpec

ConfirmPolicy = Literal["act", "destroy", "never"]
"""Which tools wait for a person's yes: those that act or destroy, only those that destroy, or none."""


@dataclass(kw_only=True)
class AgentContext:
    """Everything a node reads that is not conversation state."""

    ctx: Context = field(metadata={"description": "EchoTune's services, seen as the agent (face='agent')."})
    provider: str = field(metadata={"description": "Provider name: offline, openai, gemini, openrouter, ..."})
    model_name: str = field(metadata={"description": "The provider's model, e.g. gpt-4o-mini."})
    model: Runnable = field(metadata={"description": "The chat model with the tools bound."})
    plain_model: BaseChatModel = field(metadata={"description": "The same model without tools (the last step)."})
    tools: Mapping[str, ToolSpec] = field(metadata={"description": "The registry tools offered, by name."})
    system_prompt: str = field(metadata={"description": "prompts/system.md, filled in for this user."})
    max_steps: int = field(default=8, metadata={"description": "Model calls per turn; the last one must answer."})
    confirm: ConfirmPolicy = field(default="act", metadata={"description": "Which effects need a person's yes."})

    def needs_confirmation(self, spec: ToolSpec) -> bool:
        if self.confirm == "never" or spec.effect == "read":
            return False
        return self.confirm == "act" or spec.effect == "destroy"
