"""The agent as a Python API for bots and front ends: build it from configuration, then `ask()` or stream a
turn (`stream()` / `async for event in astream()`) in a named session.

One Agent serves many sessions at once: the compiled graph and the checkpointer are shared, turns of the same
session wait for each other (a per-session lock), different sessions run in parallel.

    from echotune.agent import Agent
    with Agent.from_config() as agent:
        print(agent.ask("find three songs like hey jude", session="alice").answer)
"""

from __future__ import annotations

import asyncio
import inspect
import threading
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import replace
from typing import Any

from langchain_core.language_models import BaseChatModel
from langchain_core.messages import AIMessage, AIMessageChunk, HumanMessage, ToolMessage
from langgraph.types import Command

from echotune.agent.checkpoints import Kind, close_checkpointer, open_checkpointer, thread_id
from echotune.agent.context import AgentContext, ConfirmPolicy
from echotune.agent.events import (
    AgentEvent,
    ConfirmRequest,
    Done,
    PendingCall,
    Reply,
    Token,
    ToolCallRecord,
    ToolEnd,
    ToolStart,
    Usage,
)
from echotune.agent.graph import build_graph
from echotune.agent.prompts import system_prompt
from echotune.agent.providers import ProviderChoice, build_chat_model, choose, cost_usd
from echotune.agent.tools import langchain_tools
from echotune.tools.config import Config
from echotune.tools.context import Context
from echotune.tools.models import Event
from echotune.tools.registry import ToolSpec, all_tools

Decision = bool | Mapping[str, bool]
Approver = Callable[[ConfirmRequest], Decision | Awaitable[Decision]]


class Agent:
    """EchoTune's conversational agent over one Context (one installation, one user)."""

    def __init__(
        self,
        ctx: Context,
        *,
        provider: str | None = None,
        model: str | None = None,
        checkpointer: Kind | Any = "auto",
        confirm: ConfirmPolicy | None = None,
        approve: Approver | bool | None = None,
        max_steps: int | None = None,
        tools: Mapping[str, ToolSpec] | None = None,
        chat_model: BaseChatModel | None = None,
    ):
        """provider/model: fixed choice (default: the person's settings, re-read every turn).
        chat_model: bring your own LangChain chat model (any with bind_tools); `provider` then only names it.
        checkpointer: "auto" (Redis when configured, else "sqlite": the data dir's checkpoints file), "redis",
            "memory", or a LangGraph saver.
        confirm: which tools need a yes (default: config.agent_confirm); approve: how to get it when a turn
        does not say (a callback, or True/False; default False: acting tools are declined).
        """
        self.ctx = replace(ctx, face="agent")
        self.provider, self.model = provider, model
        self.confirm: ConfirmPolicy = confirm or ctx.config.agent_confirm
        self.approve = approve
        self.max_steps = max_steps or ctx.config.agent_max_steps
        self.tools = dict(tools or all_tools())
        self._own_saver = isinstance(checkpointer, str)
        self.checkpointer = (
            open_checkpointer(ctx.config, checkpointer) if isinstance(checkpointer, str) else checkpointer
        )
        self.graph = build_graph(self.checkpointer)
        self._runs: dict[tuple[str, str], AgentContext] = {}
        self._lock = threading.Lock()
        self._sessions: dict[str, threading.Lock] = {}
        self._own_ctx: Context | None = None
        self._custom = chat_model
        if chat_model is not None:
            self.provider = provider or "custom"
            self.model = model or getattr(chat_model, "model_name", None) or type(chat_model).__name__

    @classmethod
    def from_config(cls, config: Config | None = None, *, user: str | None = None, **kwargs: Any) -> Agent:
        """An agent over a Context built from configuration (flags > env > config.toml > defaults)."""
        ctx = Context.from_config(config, **({"user": user} if user else {}))
        agent = cls(ctx, **kwargs)
        agent._own_ctx = ctx
        return agent

    def __enter__(self) -> Agent:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        if self._own_saver:
            close_checkpointer(self.checkpointer)
        if self._own_ctx is not None:
            self._own_ctx.close()

    # -- provider and run context --------------------------------------------------------------------------
    def choice(self, provider: str | None = None, model: str | None = None) -> ProviderChoice:
        """The provider and model a turn will use (flags > the agent's fixed choice > the person's settings)."""
        if self._custom is not None:
            return ProviderChoice(self.provider or "custom", self.model or "custom")
        return choose(self.ctx, provider or self.provider, model or (self.model if not provider else None))

    def run_context(self, choice: ProviderChoice) -> AgentContext:
        """The run context for a provider, built once (model construction and tool binding are not free)."""
        key = (choice.provider, choice.model)
        with self._lock:
            if key not in self._runs:
                plain = self._custom if self._custom is not None else build_chat_model(choice, self.ctx)
                self._runs[key] = AgentContext(
                    ctx=self.ctx,
                    provider=choice.provider,
                    model_name=choice.model,
                    model=plain.bind_tools(langchain_tools(self.tools.values(), self.ctx)),
                    plain_model=plain,
                    tools=self.tools,
                    system_prompt=system_prompt(self.ctx),
                    max_steps=self.max_steps,
                    confirm=self.confirm,
                )
            return replace(self._runs[key], system_prompt=system_prompt(self.ctx), confirm=self.confirm)

    # -- sessions ------------------------------------------------------------------------------------------
    def _config(self, session: str) -> dict[str, Any]:
        return {
            "configurable": {"thread_id": thread_id(self.ctx.user, session)},
            "recursion_limit": 2 * self.max_steps + 10,
        }

    def _session_lock(self, session: str) -> threading.Lock:
        with self._lock:
            return self._sessions.setdefault(session, threading.Lock())

    def messages(self, session: str) -> list[Any]:
        """The conversation so far (LangChain messages)."""
        state = self.graph.get_state(self._config(session))
        return list(state.values.get("messages", [])) if state.values else []

    def reset(self, session: str) -> None:
        """Forget a session's conversation."""
        with self._session_lock(session):
            self.checkpointer.delete_thread(thread_id(self.ctx.user, session))

    # -- turns ---------------------------------------------------------------------------------------------
    def ask(
        self,
        text: str,
        *,
        session: str | None = None,
        approve: Approver | bool | None = None,
        provider: str | None = None,
        model: str | None = None,
    ) -> Reply:
        """One turn, start to finish. session None: a throwaway session of its own."""
        for event in self.stream(text, session=session, approve=approve, provider=provider, model=model):
            if isinstance(event, Done):
                return event.reply
        raise RuntimeError("the turn ended without a reply")  # pragma: no cover - stream always ends with Done

    def stream(
        self,
        text: str,
        *,
        session: str | None = None,
        approve: Approver | bool | None = None,
        provider: str | None = None,
        model: str | None = None,
    ) -> Iterator[AgentEvent]:
        """One turn as events: Token, ToolStart, ToolEnd, ConfirmRequest (answered by `approve`), then Done.
        session None: a one-off conversation, forgotten when the turn ends."""
        once = session is None
        session = session or f"once-{uuid.uuid4().hex[:12]}"
        choice = self.choice(provider, model)
        run = self.run_context(choice)
        config = self._config(session)
        decide = approve if approve is not None else self.approve
        with self._session_lock(session), self._forgetting(session if once else None):
            self._settle(config, run)
            before = len(self.messages(session))
            payload: Any = {"messages": [HumanMessage(text)], "steps": 0}
            calls: dict[str, ToolCallRecord] = {}
            while True:
                pending = None
                for part in self.graph.stream(
                    payload, config, context=run, stream_mode=["messages", "custom", "updates"], version="v2"
                ):
                    if part["type"] == "messages":
                        chunk, meta = part["data"]
                        if meta.get("langgraph_node") == "model" and isinstance(chunk, AIMessageChunk) and chunk.text:
                            yield Token(text=str(chunk.text))
                    elif part["type"] == "custom" and isinstance(part["data"], dict):
                        event = part["data"]
                        if event.get("kind") == "tool_start":
                            yield ToolStart(id=event["id"], name=event["name"], args=event["args"])
                        elif event.get("kind") == "tool_end":
                            record = ToolCallRecord(
                                id=event["id"],
                                name=event["name"],
                                args=event["args"],
                                result=event["result"],
                                error=event["error"],
                                duration_ms=round(event["duration_ms"], 2),
                            )
                            calls[record.id] = record
                            yield ToolEnd(call=record)
                    elif part["type"] == "updates" and "__interrupt__" in part["data"]:
                        pending = part["data"]["__interrupt__"][0].value
                if pending is None:
                    break
                request = ConfirmRequest(calls=[PendingCall(**c) for c in pending["calls"]])
                yield request
                payload = Command(resume=_decide(decide, request))
            messages = self.messages(session)[before:]
            reply = self._reply(session, choice, messages, calls)
            self._record(session, choice, reply)
            yield Done(reply=reply)

    @contextmanager
    def _forgetting(self, session: str | None) -> Iterator[None]:
        """Delete a one-off session's checkpoints when its turn ends, however it ends."""
        try:
            yield
        finally:
            if session is not None:
                self.checkpointer.delete_thread(thread_id(self.ctx.user, session))

    def _settle(self, config: dict[str, Any], run: AgentContext) -> None:
        """A session left waiting for a confirmation (the process ended at the prompt) is declined first, so
        every tool call in the history has its result."""
        state = self.graph.get_state(config)
        while state.interrupts:
            for _ in self.graph.stream(Command(resume=False), config, context=run, stream_mode="updates"):
                pass
            state = self.graph.get_state(config)

    def _reply(
        self, session: str, choice: ProviderChoice, messages: list[Any], calls: dict[str, ToolCallRecord]
    ) -> Reply:
        answer, requests, tokens_in, tokens_out, model_ms, steps = "", 0, 0, 0, 0.0, 0
        records: list[ToolCallRecord] = []
        for msg in messages:
            if isinstance(msg, AIMessage):
                requests += 1
                steps += 1
                usage = msg.usage_metadata or {}
                tokens_in += usage.get("input_tokens", 0)
                tokens_out += usage.get("output_tokens", 0)
                model_ms += msg.response_metadata.get("echotune", {}).get("duration_ms", 0.0)
                if not msg.tool_calls:
                    answer = str(msg.text)
            elif isinstance(msg, ToolMessage):
                records.append(calls.get(msg.tool_call_id) or _record_from_message(msg, messages))
        usage = Usage(
            provider=choice.provider,
            model=choice.model,
            requests=requests,
            tokens_in=tokens_in,
            tokens_out=tokens_out,
            cost_usd=cost_usd(self.ctx.config, choice, tokens_in, tokens_out),
            model_ms=round(model_ms, 2),
            tool_ms=round(sum(r.duration_ms for r in records), 2),
        )
        return Reply(answer=answer.strip(), session=session, tool_calls=records, usage=usage, steps=steps)

    def _record(self, session: str, choice: ProviderChoice, reply: Reply) -> None:
        """One `llm` event per turn: tokens, cost and model time, for system analytics."""
        u = reply.usage
        event = Event(
            at=self.ctx.clock(),
            user=self.ctx.user,
            kind="llm",
            name=choice.label,
            face=self.ctx.face,
            duration_ms=u.model_ms,
            provider=choice.provider,
            tokens_in=u.tokens_in,
            tokens_out=u.tokens_out,
            cost_usd=u.cost_usd,
            data={"session": session, "requests": u.requests, "tool_calls": len(reply.tool_calls)},
        )
        try:
            self.ctx.store.events.record(event)
        except Exception as exc:  # analytics must never break the turn it describes
            import logging

            logging.getLogger("echotune.agent").warning("could not record llm event: %s", exc)

    async def astream(
        self,
        text: str,
        *,
        session: str | None = None,
        approve: Approver | bool | None = None,
        provider: str | None = None,
        model: str | None = None,
    ) -> AsyncIterator[AgentEvent]:
        """`stream()` for asyncio: the turn runs in a worker thread; `approve` may be a coroutine function."""
        loop = asyncio.get_running_loop()
        queue: asyncio.Queue[Any] = asyncio.Queue()
        end = object()
        decide = approve if approve is not None else self.approve

        def approve_in_thread(request: ConfirmRequest) -> Decision:
            if decide is None or isinstance(decide, bool):
                return bool(decide)
            answer = decide(request)
            if inspect.isawaitable(answer):
                return asyncio.run_coroutine_threadsafe(_awaited(answer), loop).result()
            return answer

        def work() -> None:
            try:
                for event in self.stream(
                    text, session=session, approve=approve_in_thread, provider=provider, model=model
                ):
                    loop.call_soon_threadsafe(queue.put_nowait, event)
            except BaseException as exc:
                loop.call_soon_threadsafe(queue.put_nowait, _Failure(exc))
            finally:
                loop.call_soon_threadsafe(queue.put_nowait, end)

        worker = loop.run_in_executor(None, work)
        try:
            while (item := await queue.get()) is not end:
                if isinstance(item, _Failure):
                    raise item.exc
                yield item
        finally:
            await worker

    async def aask(self, text: str, **kwargs: Any) -> Reply:
        """`ask()` for asyncio."""
        reply = None
        async for event in self.astream(text, **kwargs):
            if isinstance(event, Done):
                reply = event.reply
        assert reply is not None
        return reply


class _Failure:
    def __init__(self, exc: BaseException):
        self.exc = exc


async def _awaited(value: Awaitable[Decision]) -> Decision:
    return await value


def _decide(approve: Approver | bool | None, request: ConfirmRequest) -> Decision:
    if approve is None or isinstance(approve, bool):
        return bool(approve)
    answer = approve(request)
    if inspect.isawaitable(answer):
        raise TypeError("an async approver needs astream()")
    return dict(answer) if isinstance(answer, Mapping) else bool(answer)


def _record_from_message(msg: ToolMessage, messages: list[Any]) -> ToolCallRecord:
    """A tool call rebuilt from the history (when it ran in an earlier run of the turn, e.g. after a resume)."""
    import orjson

    args: dict[str, Any] = {}
    for m in messages:
        if isinstance(m, AIMessage):
            for c in m.tool_calls:
                if c["id"] == msg.tool_call_id:
                    args = c["args"]
    body = orjson.loads(msg.content) if isinstance(msg.content, str) and msg.content.startswith("{") else {}
    failed = msg.status == "error"
    return ToolCallRecord(
        id=msg.tool_call_id,
        name=msg.name or "",
        args=args,
        result=None if failed else body,
        error=body if failed else None,
        duration_ms=(msg.artifact or {}).get("duration_ms", 0.0) if isinstance(msg.artifact, dict) else 0.0,
    )
