"""A loopback server speaking the Gemini API's generateContent and streamGenerateContent (SSE) with function
calls and usage metadata, for testing the gemini provider with the real langchain-google-genai client.

Replies are scripted like FakeOpenAI's: `enqueue(text=...)`, `enqueue(tool_calls=[("name", {args})])`, or an
error `enqueue(status=403, error="...")`. Request bodies are kept in `requests`.
"""

from __future__ import annotations

import json
import threading
from collections import deque
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from tests.fakes.openai_api import Reply

STATUS_NAMES = {400: "INVALID_ARGUMENT", 403: "PERMISSION_DENIED", 404: "NOT_FOUND", 429: "RESOURCE_EXHAUSTED",
                500: "INTERNAL"}  # fmt: skip


class FakeGemini:
    """`with FakeGemini() as api: ChatGoogleGenerativeAI(base_url=api.base_url, api_key=api.api_key, ...)`"""

    def __init__(self, api_key: str = "gemini-test-key"):
        self.api_key = api_key
        self.replies: deque[Reply] = deque()
        self.requests: list[dict[str, Any]] = []
        self.paths: list[str] = []
        self.lock = threading.Lock()
        self._server: ThreadingHTTPServer | None = None

    def enqueue(
        self,
        text: str = "",
        tool_calls: list[tuple[str, dict[str, Any]]] | None = None,
        *,
        status: int = 200,
        error: str = "",
    ) -> None:
        with self.lock:
            self.replies.append(Reply(text, list(tool_calls or []), status, error))

    def _next(self) -> Reply:
        with self.lock:
            return self.replies.popleft() if self.replies else Reply(text="(no scripted reply)")

    @property
    def base_url(self) -> str:
        assert self._server is not None
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    def __enter__(self) -> FakeGemini:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: Any) -> None:
                pass

            def _json(self, status: int, body: dict[str, Any]) -> None:
                data = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = json.loads(self.rfile.read(length) or b"{}")
                with fake.lock:
                    fake.requests.append(body)
                    fake.paths.append(self.path)
                if ":generateContent" not in self.path and ":streamGenerateContent" not in self.path:
                    self._json(404, {"error": {"code": 404, "message": f"no route {self.path}", "status": "NOT_FOUND"}})
                    return
                if self.headers.get("x-goog-api-key") != fake.api_key:
                    self._json(400, {"error": {"code": 400, "message": "API key not valid. Please pass a valid API key.",
                                               "status": "INVALID_ARGUMENT"}})  # fmt: skip
                    return
                reply = fake._next()
                if reply.status != 200:
                    self._json(reply.status, {"error": {"code": reply.status, "message": reply.error or "error",
                                                        "status": STATUS_NAMES.get(reply.status, "UNKNOWN")}})  # fmt: skip
                    return
                prompt = sum(len(json.dumps(c)) for c in body.get("contents", [])) // 4 + 1
                usage = {"promptTokenCount": prompt, "candidatesTokenCount": len(reply.text) // 4 + 1,
                         "totalTokenCount": prompt + len(reply.text) // 4 + 1}  # fmt: skip
                parts: list[dict[str, Any]] = [{"functionCall": {"name": n, "args": a}} for n, a in reply.tool_calls]
                if ":streamGenerateContent" in self.path:
                    self.send_response(200)
                    self.send_header("Content-Type", "text/event-stream")
                    self.send_header("Connection", "close")
                    self.end_headers()
                    pieces = [{"text": w + " "} for w in reply.text.split(" ")] if reply.text else []
                    events = [[p] for p in pieces] + ([parts] if parts else [])
                    for i, event_parts in enumerate(events or [[{"text": ""}]]):
                        last = i == max(len(events), 1) - 1
                        data: dict[str, Any] = {"candidates": [{"content": {"role": "model", "parts": event_parts},
                                                                "index": 0}]}  # fmt: skip
                        if last:
                            data["candidates"][0]["finishReason"] = "STOP"
                            data["usageMetadata"] = usage
                        self.wfile.write(f"data: {json.dumps(data)}\r\n\r\n".encode())
                        self.wfile.flush()
                    self.close_connection = True
                    return
                if reply.text:
                    parts.insert(0, {"text": reply.text})
                self._json(200, {"candidates": [{"content": {"role": "model", "parts": parts}, "finishReason": "STOP",
                                                 "index": 0}], "usageMetadata": usage})  # fmt: skip

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return self

    def __exit__(self, *exc: object) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
