"""What the graph remembers for one conversation: its messages, and how many model calls this turn has used.

The checkpointer saves this after every step, so a session resumes where it stopped, even in a new process.
"""

from __future__ import annotations

from typing import Annotated, NotRequired, TypedDict

from langchain_core.messages import AnyMessage
from langgraph.graph.message import add_messages


class AgentState(TypedDict):
    """messages: the whole conversation (add_messages appends and replaces by id).
    steps: model calls in the current turn; each new user message sets it back to 0 (the step limit counts it).
    """

    messages: Annotated[list[AnyMessage], add_messages]
    steps: NotRequired[int]
