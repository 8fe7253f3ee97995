"""The LangGraph agent that orchestrates EchoTune's tools in a conversation.

    graph.py      the StateGraph: model node <-> tool node, step limit, confirmation interrupts
    state.py      what a conversation keeps;  context.py  what a run needs (services, model, tools, limits)
    tools.py      registry tools as LangChain tools, and running a tool call
    providers.py  offline, openai, gemini, openrouter, openai-compatible: models, keys, prices, errors
    prompts.py    the prompt texts of prompts/, filled in;  checkpoints.py  where sessions are kept
    api.py        Agent: ask / stream / astream for bots;  chat.py  the terminal chat
    offline/      the deterministic offline model

`from echotune.agent import Agent` imports LangGraph on first use only.
"""

from __future__ import annotations

from typing import Any

__all__ = ["Agent"]


def __getattr__(name: str) -> Any:
    if name == "Agent":
        from echotune.agent.api import Agent

        return Agent
    raise AttributeError(name)
