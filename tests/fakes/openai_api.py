"""A loopback server speaking OpenAI's chat-completions API (JSON and server-sent-event streaming, tool calls,
usage), for testing the openai, openrouter and openai-compatible providers with the real langchain-openai client.

Replies are scripted: `enqueue(text=...)` or `enqueue(tool_calls=[("name", {args})])`, or an HTTP error with
`enqueue(status=429, ...)`. Every request body is kept in `requests` so tests can check what the client sent.
"""

from __future__ import annotations

import json
import threading
import time
from collections import deque
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass
class Reply:
    text: str = ""
    tool_calls: list[tuple[str, dict[str, Any]]] = field(default_factory=list)
    status: int = 200
    error: str = ""
    headers: dict[str, str] = field(default_factory=dict)
    hold_after: int | None = None  # streaming: stop after this many words until `release` is set


class FakeOpenAI:
    """`with FakeOpenAI() as api: ChatOpenAI(base_url=api.base_url, api_key=api.api_key, ...)`"""

    def __init__(self, api_key: str = "sk-test-key", model_names: tuple[str, ...] = ()):
        self.api_key = api_key
        self.model_names = model_names
        self.replies: deque[Reply] = deque()
        self.requests: list[dict[str, Any]] = []
        self.headers: list[dict[str, str]] = []
        self.lock = threading.Lock()
        self._server: ThreadingHTTPServer | None = None
        self._calls = 0
        self.release = threading.Event()

    # -- scripting -----------------------------------------------------------------------------------------
    def enqueue(
        self,
        text: str = "",
        tool_calls: list[tuple[str, dict[str, Any]]] | None = None,
        *,
        status: int = 200,
        error: str = "",
        headers: dict[str, str] | None = None,
        hold_after: int | None = None,
    ) -> None:
        """Queue the next reply. hold_after=N streams N words, then waits for `release` (tests of streaming)."""
        with self.lock:
            self.replies.append(Reply(text, list(tool_calls or []), status, error, dict(headers or {}), hold_after))

    def _next(self) -> Reply:
        with self.lock:
            return self.replies.popleft() if self.replies else Reply(text="(no scripted reply)")

    # -- server --------------------------------------------------------------------------------------------
    @property
    def base_url(self) -> str:
        assert self._server is not None
        return f"http://127.0.0.1:{self._server.server_address[1]}/v1"

    def __enter__(self) -> FakeOpenAI:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: Any) -> None:  # keep test output clean
                pass

            def _send_json(self, status: int, body: dict[str, Any], headers: dict[str, str] | None = None) -> None:
                data = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                for k, v in (headers or {}).items():
                    self.send_header(k, v)
                self.end_headers()
                self.wfile.write(data)

            def do_GET(self) -> None:
                if self.path.rstrip("/").endswith("/models"):
                    self._send_json(200, {"object": "list", "data": [{"id": m, "object": "model"} for m in
                                                                      fake.model_names]})  # fmt: skip
                else:
                    self._send_json(404, {"error": {"message": "not found", "type": "invalid_request_error"}})

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = json.loads(self.rfile.read(length) or b"{}")
                if not self.path.rstrip("/").endswith("/chat/completions"):
                    self._send_json(
                        404, {"error": {"message": f"no route {self.path}", "type": "invalid_request_error"}}
                    )
                    return
                with fake.lock:
                    fake.requests.append(body)
                    fake.headers.append(dict(self.headers))
                if self.headers.get("Authorization") != f"Bearer {fake.api_key}":
                    self._send_json(401, {"error": {"message": "Incorrect API key provided", "type":
                                                    "invalid_request_error", "code": "invalid_api_key"}})  # fmt: skip
                    return
                reply = fake._next()
                if reply.status != 200:
                    self._send_json(
                        reply.status,
                        {"error": {"message": reply.error or "error", "type": "server_error", "code": None}},
                        reply.headers,
                    )
                    return
                fake._calls += 1
                call_id = f"chatcmpl-{fake._calls}"
                model = body.get("model", "fake-model")
                prompt_tokens = sum(len(str(m.get("content") or "")) for m in body.get("messages", [])) // 4 + 1
                completion_tokens = len(reply.text) // 4 + 1 + 10 * len(reply.tool_calls)
                usage = {"prompt_tokens": prompt_tokens, "completion_tokens": completion_tokens,
                         "total_tokens": prompt_tokens + completion_tokens}  # fmt: skip
                tool_calls = [
                    {"id": f"call_{fake._calls}_{i}", "type": "function",
                     "function": {"name": name, "arguments": json.dumps(args)}}
                    for i, (name, args) in enumerate(reply.tool_calls)
                ]  # fmt: skip
                finish = "tool_calls" if tool_calls else "stop"
                if body.get("stream"):
                    self._stream(call_id, model, reply, tool_calls, finish, usage, body)
                    return
                message: dict[str, Any] = {"role": "assistant", "content": reply.text or None}
                if tool_calls:
                    message["tool_calls"] = tool_calls
                self._send_json(200, {
                    "id": call_id, "object": "chat.completion", "created": int(time.time()), "model": model,
                    "choices": [{"index": 0, "message": message, "finish_reason": finish, "logprobs": None}],
                    "usage": usage,
                })  # fmt: skip

            def _stream(self, call_id: str, model: str, reply: Reply, tool_calls: list[dict[str, Any]],
                        finish: str, usage: dict[str, int], body: dict[str, Any]) -> None:  # fmt: skip
                self.send_response(200)
                self.send_header("Content-Type", "text/event-stream")
                self.send_header("Cache-Control", "no-cache")
                self.send_header("Connection", "close")
                self.end_headers()

                def chunk(delta: dict[str, Any], finish_reason: str | None = None, **extra: Any) -> None:
                    data = {"id": call_id, "object": "chat.completion.chunk", "created": int(time.time()),
                            "model": model, "choices": [{"index": 0, "delta": delta, "finish_reason": finish_reason,
                                                         "logprobs": None}], **extra}  # fmt: skip
                    self.wfile.write(f"data: {json.dumps(data)}\n\n".encode())
                    self.wfile.flush()

                chunk({"role": "assistant", "content": ""})
                for n, word in enumerate(reply.text.split(" ") if reply.text else []):
                    if reply.hold_after is not None and n == reply.hold_after:
                        fake.release.wait(timeout=60)
                    chunk({"content": word + " "})
                for i, call in enumerate(tool_calls):
                    args = call["function"]["arguments"]
                    chunk(
                        {
                            "tool_calls": [
                                {
                                    "index": i,
                                    "id": call["id"],
                                    "type": "function",
                                    "function": {"name": call["function"]["name"], "arguments": ""},
                                }
                            ]
                        }
                    )
                    half = len(args) // 2
                    for part in (args[:half], args[half:]):
                        chunk({"tool_calls": [{"index": i, "function": {"arguments": part}}]})
                chunk({}, finish)
                if (body.get("stream_options") or {}).get("include_usage"):
                    data = {"id": call_id, "object": "chat.completion.chunk", "created": int(time.time()),
                            "model": model, "choices": [], "usage": usage}  # fmt: skip
                    self.wfile.write(f"data: {json.dumps(data)}\n\n".encode())
                self.wfile.write(b"data: [DONE]\n\n")
                self.wfile.flush()
                self.close_connection = True

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return self

    def __exit__(self, *exc: object) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
