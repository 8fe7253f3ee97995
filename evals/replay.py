"""Record and replay a chat model's responses, so an eval re-runs deterministically and without the network.

`CachedChatModel` wraps any LangChain chat model (the agent takes it as `chat_model=`). With `--record CACHE`
it asks the real model and stores every response; with `--replay CACHE` it answers from the cache alone (it
builds no provider client, so nothing can reach the network) and raises `ReplayMissError` for a request it
has never seen.

A request is keyed by a SHA-256 of its provider, model, messages (role, text, tool calls, tool results) and
bound tools (their JSON schemas). Message ids are left out (LangChain and LangGraph make fresh ones every run).
Each entry also keeps a second, "shape" key: the same request with the tool results' text left out. Replay
tries the exact key first and falls back to the shape key, so a tool result that carries something new every
run (a playlist's random id, a temporary folder's path, a measured latency) replays the recorded response
instead of missing; any change in what the person said, the prompt, the tools or the model's own calls misses.

The cache is one JSON file, readable by a person: each entry names its provider, model, tools and the
request's last messages beside the recorded response(s). A request recorded several times (`--repeat`) keeps
every response, and replay serves them in the order they were recorded.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Literal

from langchain_core.language_models import BaseChatModel
from langchain_core.messages import AIMessage, BaseMessage, ToolMessage, message_to_dict, messages_from_dict
from langchain_core.outputs import ChatGeneration, ChatResult
from pydantic import ConfigDict, Field

from echotune.tools.errors import InvalidInputError, NotFoundError

FORMAT = "echotune-eval-cache/1"
Mode = Literal["record", "replay"]


class ReplayMissError(NotFoundError):
    """A replayed run asked something the recording never saw."""


def _content(message: BaseMessage) -> Any:
    content = message.content
    return content if isinstance(content, str) else json.loads(json.dumps(content, default=str, sort_keys=True))


def canonical_message(message: BaseMessage, *, with_results: bool = True) -> dict[str, Any]:
    """What identifies a message in a request: role, text, tool calls, and which tool answered (no ids)."""
    out: dict[str, Any] = {"role": message.type, "content": _content(message)}
    if isinstance(message, AIMessage) and message.tool_calls:
        out["tool_calls"] = [{"name": c["name"], "args": c["args"]} for c in message.tool_calls]
    if isinstance(message, ToolMessage):
        out["name"] = message.name
        out["status"] = message.status
        if not with_results:
            out["content"] = None
    return out


def request_keys(
    provider: str, model: str, messages: Sequence[BaseMessage], tools: Sequence[dict[str, Any]]
) -> tuple[str, str]:
    """(exact key, shape key) of one model request."""

    def digest(with_results: bool) -> str:
        body = {
            "provider": provider,
            "model": model,
            "tools": list(tools),
            "messages": [canonical_message(m, with_results=with_results) for m in messages],
        }
        text = json.dumps(body, sort_keys=True, ensure_ascii=False, default=str)
        return hashlib.sha256(text.encode()).hexdigest()

    return digest(True), digest(False)


def _summary(message: BaseMessage) -> str:
    text = message.content if isinstance(message.content, str) else json.dumps(message.content, default=str)
    if isinstance(message, AIMessage) and message.tool_calls:
        text += " " + ", ".join(f"{c['name']}({json.dumps(c['args'], ensure_ascii=False)})" for c in message.tool_calls)
    return f"{message.type}: {text.strip()[:200]}"


class ResponseCache:
    """Recorded model responses in one JSON file; thread-safe; written after every new response."""

    def __init__(self, path: Path, mode: Mode):
        self.path = Path(path)
        self.mode = mode
        self.lock = threading.Lock()
        self.entries: dict[str, dict[str, Any]] = {}
        self.shapes: dict[str, str] = {}
        self.served: dict[str, int] = {}
        self.recorded_now: set[str] = set()
        self.hits = self.misses = self.recorded = 0
        if self.path.exists():
            self._load()
        elif mode == "replay":
            raise NotFoundError(
                f"No recorded responses at {self.path}", hint="record them first: echotune eval run ... --record FILE"
            )

    def _load(self) -> None:
        try:
            doc = json.loads(self.path.read_text(encoding="utf-8"))
        except (OSError, json.JSONDecodeError) as exc:
            raise InvalidInputError(f"{self.path} is not a response cache: {exc}") from None
        if not isinstance(doc, dict) or doc.get("format") != FORMAT:
            raise InvalidInputError(
                f"{self.path} is not a response cache (format {FORMAT!r})", hint="record a new one with --record"
            )
        self.entries = doc.get("entries", {})
        for key, entry in self.entries.items():
            self.shapes.setdefault(entry["shape"], key)

    def _save(self) -> None:
        doc = {"format": FORMAT, "entries": self.entries}
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=self.path.parent, prefix=".cache-", suffix=".json")
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            json.dump(doc, fh, indent=1, ensure_ascii=False)
        os.replace(tmp, self.path)

    def lookup(self, key: str, shape: str) -> dict[str, Any] | None:
        """The next recorded response for this request (exact key, else shape key), or None."""
        with self.lock:
            found = key if key in self.entries else self.shapes.get(shape)
            if found is None:
                self.misses += 1
                return None
            responses = self.entries[found]["responses"]
            n = self.served.get(found, 0)
            self.served[found] = n + 1
            self.hits += 1
            return responses[n % len(responses)]

    def store(
        self,
        key: str,
        shape: str,
        response: dict[str, Any],
        *,
        provider: str,
        model: str,
        tools: Sequence[str],
        messages: Sequence[BaseMessage],
    ) -> None:
        with self.lock:
            entry = self.entries.get(key)
            if entry is None or key not in self.recorded_now:  # a new recording replaces an older one
                entry = self.entries[key] = {
                    "provider": provider,
                    "model": model,
                    "tools": sorted(tools),
                    "request": [_summary(m) for m in messages[-3:]],
                    "messages": len(messages),
                    "shape": shape,
                    "responses": [],
                }
                self.recorded_now.add(key)
            entry["responses"].append(response)
            self.shapes[shape] = key
            self.recorded += 1
            self._save()


class CachedChatModel(BaseChatModel):
    """A chat model that records the wrapped model's responses, or replays them with no model at all."""

    model_config = ConfigDict(arbitrary_types_allowed=True)

    responses: Any = Field(
        exclude=True, description="The ResponseCache (BaseChatModel's own `cache` is another thing)."
    )
    provider: str
    model_name: str
    inner: Any = Field(None, exclude=True, description="The real model (record mode); None when replaying.")
    tool_schemas: list[dict[str, Any]] = Field(default_factory=list, exclude=True)

    @property
    def _llm_type(self) -> str:
        return f"echotune-{self.responses.mode}"

    def bind_tools(self, tools: Sequence[Any], **kwargs: Any) -> CachedChatModel:  # type: ignore[override]
        from langchain_core.utils.function_calling import convert_to_openai_tool

        schemas = [convert_to_openai_tool(t) for t in tools]
        inner = self.inner.bind_tools(tools, **kwargs) if self.inner is not None else None
        return self.model_copy(update={"tool_schemas": schemas, "inner": inner})

    def _generate(
        self, messages: list[BaseMessage], stop: list[str] | None = None, run_manager: Any = None, **kwargs: Any
    ) -> ChatResult:
        key, shape = request_keys(self.provider, self.model_name, messages, self.tool_schemas)
        if self.responses.mode == "replay":
            recorded = self.responses.lookup(key, shape)
            if recorded is None:
                raise ReplayMissError(
                    f"No recorded response for this {self.provider}/{self.model_name} request "
                    f"({len(messages)} messages, last {_summary(messages[-1])!r}, key {key[:12]})",
                    hint="the conversation, prompt or tools changed since the recording: record again with --record",
                )
            message = messages_from_dict([recorded])[0]
        else:
            if self.inner is None:
                raise InvalidInputError("recording needs the real model to ask")
            message = self.inner.invoke(messages, stop=stop, **kwargs)
            names = [s.get("function", {}).get("name", "") for s in self.tool_schemas]
            self.responses.store(
                key,
                shape,
                message_to_dict(message),
                provider=self.provider,
                model=self.model_name,
                tools=names,
                messages=messages,
            )
            message = messages_from_dict([message_to_dict(message)])[0]
        return ChatResult(generations=[ChatGeneration(message=message)])
