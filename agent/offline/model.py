"""OfflineChatModel: a deterministic LangChain chat model that works with no key and no network.

It reads the conversation like any chat model: on a new request it plans (router.py) and answers with tool calls
(arguments from extract.py); when tool results come back it takes the next step of a two-step request or writes
the answer from the results (answer.py). A question it had to ask is remembered in the message's
response_metadata, so the next turn can fill in the gap. The same messages always give the same reply.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator, Sequence
from datetime import date
from typing import Any

import orjson
from langchain_core.callbacks import CallbackManagerForLLMRun
from langchain_core.language_models import BaseChatModel
from langchain_core.messages import AIMessage, AIMessageChunk, BaseMessage, HumanMessage, ToolMessage
from langchain_core.outputs import ChatGeneration, ChatGenerationChunk, ChatResult
from pydantic import ConfigDict, Field, PrivateAttr

from echotune.agent.offline.answer import Outcome, compose, is_track
from echotune.agent.offline.extract import Env, extract, fan_out
from echotune.agent.offline.router import ExampleIndex, Plan, Router, tools_digest
from echotune.agent.offline.toolinfo import ToolInfo, tool_infos

MODEL_NAME = "echotune-offline"
DISCLOSURE = "(EchoTune offline model: rules and a small local embedding model, no LLM.)"
PLAN_CACHE = 256


class OfflineChatModel(BaseChatModel):
    """EchoTune's offline model. `ctx` gives it the catalog (track and artist names) and a place for its caches."""

    model_config = ConfigDict(arbitrary_types_allowed=True)

    ctx: Any = Field(default=None, exclude=True)
    tools_info: dict[str, ToolInfo] = Field(default_factory=dict, exclude=True)
    model_name: str = MODEL_NAME
    _local: dict[str, Any] = PrivateAttr(default_factory=dict)

    @property
    def _llm_type(self) -> str:
        return MODEL_NAME

    @property
    def _identifying_params(self) -> dict[str, Any]:
        return {"model_name": self.model_name, "tools": sorted(self.tools_info)}

    def bind_tools(self, tools: Sequence[Any], *, tool_choice: str | None = None, **kwargs: Any) -> OfflineChatModel:
        """The same model, planning over these tools (LangChain tools, OpenAI tool dicts or pydantic classes)."""
        bound = self.model_copy(update={"tools_info": tool_infos(tools)})
        bound._local = self._local  # share the embedder and caches
        return bound

    # -- services: built once per Context (or per model when there is none) --------------------------------
    def _lazy(self, key: str, factory: Any) -> Any:
        if self.ctx is not None:
            return self.ctx.lazy(f"agent.offline.{key}", factory)
        if key not in self._local:
            self._local[key] = factory()
        return self._local[key]

    def encoder(self) -> Any:
        from threadpoolctl import ThreadpoolController

        from echotune.agent.offline.embed import MiniLM

        cache = self.ctx.config.cache_dir if self.ctx is not None else None
        return self._lazy("minilm", lambda: (MiniLM(cache=cache), ThreadpoolController()))

    def _encode(self, texts: list[str]) -> Any:
        model, pool = self.encoder()
        with pool.limit(limits=1, user_api="blas"):  # one short sentence: threads only add overhead here
            return model.encode(texts)

    def router(self) -> Router:
        digest = tools_digest(self.tools_info)

        def build() -> Router:
            cache = self.ctx.config.cache_dir / "offline-examples.npz" if self.ctx is not None else None
            entities = self.entities()
            mask = entities.mask if entities is not None else (lambda text: text)
            examples = ExampleIndex(self.tools_info, self._encode, cache, mask)
            vectors: dict[str, Any] = {}

            def embed(text: str) -> Any:
                if text not in vectors:
                    if len(vectors) > 1024:
                        vectors.clear()
                    vectors[text] = self._encode([text])[0]
                return vectors[text]

            mentions = entities.mentions if entities is not None else (lambda text: False)
            known = entities.is_word if entities is not None else None
            return Router(self.tools_info, examples, embed, mask, mentions, known)

        return self._lazy(f"router.{digest}", build)

    def entities(self) -> Any:
        if self.ctx is None:
            return None
        from echotune.agent.offline.entities import Entities

        return self._lazy("entities", lambda: Entities(self.ctx))

    def today(self) -> date:
        return self.ctx.clock().date() if self.ctx is not None else date.today()

    # -- the model -----------------------------------------------------------------------------------------
    def respond(self, messages: list[BaseMessage]) -> AIMessage:
        """The next message of the conversation."""
        h = next((i for i in range(len(messages) - 1, -1, -1) if isinstance(messages[i], HumanMessage)), None)
        if h is None:
            return self._answer(self.router().intro(), messages, first=True)
        request = str(messages[h].text)
        prior, turn = messages[:h], messages[h + 1 :]
        first = not any(isinstance(m, AIMessage) for m in prior)
        outcomes = _outcomes(turn, self.tools_info)
        prior_outcomes = _outcomes(prior, self.tools_info)
        pending = _pending(prior)
        plan = self._plan(request, prior_outcomes, pending)
        if plan.reply is not None:
            return self._answer(plan.reply, messages, first=first, pending=plan.pending)
        done = sum(1 for m in turn if isinstance(m, AIMessage) and m.tool_calls)
        failed = any(o.error is not None for o in outcomes)
        if done < len(plan.steps) and not failed and self.tools_info:
            step = plan.steps[done]
            calls = [step.args]
            if done > 0 and step.refers:
                env = self._env(step.text, [*reversed(outcomes), *reversed(prior_outcomes)])
                got = extract(self.tools_info[step.tool], env)
                if got.missing:
                    question = self.router().ask_for(self.tools_info[step.tool], got.missing[0], got.notes)
                    return self._answer(compose(outcomes, [question]), messages, first=first)
                calls = fan_out(self.tools_info[step.tool], env, got.args)
            tool_calls = [
                {
                    "name": step.tool,
                    "args": args,
                    "id": f"offline_{h}_{done}" + (f"_{i}" if i else ""),
                    "type": "tool_call",
                }
                for i, args in enumerate(calls)
            ]
            return AIMessage(content="", tool_calls=tool_calls, usage_metadata=_usage(messages, json.dumps(calls)))
        return self._answer(compose(outcomes, plan.notes), messages, first=first)

    def _plan(self, request: str, prior: list[Outcome], pending: dict[str, Any] | None) -> Plan:
        key = (request, orjson.dumps(pending).decode() if pending else "", _refs_key(prior))
        cache: dict[Any, Plan] = self._lazy(f"plans.{tools_digest(self.tools_info)}", dict)
        if key not in cache:
            if len(cache) >= PLAN_CACHE:
                cache.clear()
            cache[key] = self.router().plan(request, lambda raw: self._env(raw, list(reversed(prior))), pending)
        return cache[key]

    def _env(self, raw: str, outcomes: list[Outcome]) -> Env:
        """An Env whose references come from these outcomes (most recent first)."""
        refs: list[dict[str, Any]] = []
        results: list[tuple[str, dict[str, Any]]] = []
        for o in outcomes:
            if o.result is None:
                continue
            results.append((o.tool, o.result))
            if not refs:
                refs = _items(o.result)
        return Env(raw=raw, today=self.today(), entities=self.entities(), refs=refs, ref_results=results)

    def _answer(
        self, text: str, messages: list[BaseMessage], *, first: bool, pending: dict[str, Any] | None = None
    ) -> AIMessage:
        if first and DISCLOSURE not in text and "offline model" not in text:
            text = f"{text}\n\n{DISCLOSURE}"
        meta = {"offline": {"pending": pending}} if pending else {}
        return AIMessage(content=text, response_metadata=meta, usage_metadata=_usage(messages, text))

    # -- LangChain plumbing --------------------------------------------------------------------------------
    def _generate(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: CallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> ChatResult:
        message = self.respond(messages)
        message.response_metadata["model_name"] = self.model_name
        return ChatResult(generations=[ChatGeneration(message=message)])

    def _stream(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: CallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> Iterator[ChatGenerationChunk]:
        message = self.respond(messages)
        pieces = re.findall(r"\S+\s*|\s+", str(message.text)) if message.text else []
        for piece in pieces:
            chunk = ChatGenerationChunk(message=AIMessageChunk(content=piece, id=message.id))
            if run_manager:
                run_manager.on_llm_new_token(piece, chunk=chunk)
            yield chunk
        last = AIMessageChunk(
            content="",
            id=message.id,
            tool_call_chunks=[
                {"name": c["name"], "args": json.dumps(c["args"]), "id": c["id"], "index": i, "type": "tool_call_chunk"}
                for i, c in enumerate(message.tool_calls)
            ],
            usage_metadata=message.usage_metadata,
            response_metadata={**message.response_metadata, "model_name": self.model_name},
            chunk_position="last",
        )
        yield ChatGenerationChunk(message=last)


def _usage(messages: list[BaseMessage], output: str) -> dict[str, int]:
    """Token counts as a 4-characters-per-token estimate (nothing is billed; analytics still see the volume)."""
    tokens_in = sum(len(m.text) for m in messages) // 4 + 1
    tokens_out = len(output) // 4 + 1
    return {"input_tokens": tokens_in, "output_tokens": tokens_out, "total_tokens": tokens_in + tokens_out}


def _outcomes(messages: Sequence[BaseMessage], tools: dict[str, ToolInfo]) -> list[Outcome]:
    """Tool calls and their results, in order."""
    calls: dict[str, tuple[str, dict[str, Any]]] = {}
    out: list[Outcome] = []
    for m in messages:
        if isinstance(m, AIMessage):
            for c in m.tool_calls:
                calls[c["id"] or ""] = (c["name"], c["args"])
        elif isinstance(m, ToolMessage):
            name, args = calls.get(m.tool_call_id, (m.name or "", {}))
            try:
                body = orjson.loads(str(m.text)) if m.text else {}
            except orjson.JSONDecodeError:
                body = {"text": m.text}
            if not isinstance(body, dict):
                body = {"value": body}
            failed = m.status == "error" or ("error" in body and "message" in body and len(body) <= 4)
            effect = tools[name].effect if name in tools else "read"
            out.append(Outcome(name, args, None if failed else body, body if failed else None, effect))
    return out


def _pending(prior: Sequence[BaseMessage]) -> dict[str, Any] | None:
    """The question the model asked at the end of the previous turn, if it asked one."""
    for m in reversed(prior):
        if isinstance(m, AIMessage):
            return (m.response_metadata.get("offline") or {}).get("pending") if not m.tool_calls else None
    return None


def _items(result: dict[str, Any]) -> list[dict[str, Any]]:
    """The things a result lists (tracks first), for "it", "them", "the second one"."""
    for value in result.values():
        if isinstance(value, list) and value and is_track(value[0]):
            return value
    for value in result.values():
        if is_track(value):
            return [value]
        if isinstance(value, dict) and is_track(value.get("item")):  # a playback state: the track it plays
            return [value["item"]]
        if isinstance(value, list) and value and isinstance(value[0], dict) and is_track(value[0].get("track")):
            return [v["track"] for v in value]
    if is_track(result):
        return [result]
    for value in result.values():
        if isinstance(value, list) and value and isinstance(value[0], dict) and ("id" in value[0]):
            return value
    return []


def _refs_key(prior: list[Outcome]) -> str:
    for o in reversed(prior):
        if o.result is not None:
            items = _items(o.result)
            if items:
                return ",".join(str(i.get("id")) for i in items[:10])
    return ""
