"""A small EchoTune bot on the Python API: a stdin loop, or a webhook on loopback.

    python examples/bot.py                      # one message per line; "alice: find halo" picks a session
    python examples/bot.py --webhook --port 8765
    curl -s 127.0.0.1:8765/message -d '{"session": "alice", "text": "find halo"}'
    curl -sN 127.0.0.1:8765/stream -d '{"session": "alice", "text": "tell me about the first one"}'

One Agent serves every session; the webhook answers requests in parallel threads (the Agent is safe for
concurrent sessions). Tools that act or delete run only with --allow-actions; otherwise they are declined and
the answer says so. The provider and model come from the user's settings unless --provider/--model are given.
"""

from __future__ import annotations

import argparse
import json
import sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from echotune.agent import Agent
from echotune.tools.errors import EchoTuneError


def stdin_loop(agent: Agent, allow: bool) -> None:
    for line in sys.stdin:
        line = line.strip()
        if not line:
            continue
        session, _, text = line.partition(": ") if ": " in line else ("stdin", "", line)
        try:
            reply = agent.ask(text, session=session, approve=allow)
            print(f"[{session}] {reply.answer}", flush=True)
        except EchoTuneError as exc:
            print(f"[{session}] error: {exc}", flush=True)


def webhook(agent: Agent, allow: bool, port: int) -> None:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args: Any) -> None:
            pass

        def _body(self) -> dict[str, Any] | None:
            try:
                data = json.loads(self.rfile.read(int(self.headers.get("Content-Length") or 0)) or b"{}")
            except json.JSONDecodeError:
                data = None
            if not isinstance(data, dict) or not isinstance(data.get("text"), str):
                self._send(400, {"error": "invalid_input", "message": 'send {"session": "...", "text": "..."}'})
                return None
            return data

        def _send(self, status: int, body: dict[str, Any]) -> None:
            raw = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(raw)))
            self.end_headers()
            self.wfile.write(raw)

        def do_POST(self) -> None:
            data = self._body()
            if data is None:
                return
            session = str(data.get("session") or "webhook")
            try:
                if self.path == "/message":
                    reply = agent.ask(data["text"], session=session, approve=allow)
                    self._send(200, reply.model_dump(mode="json"))
                elif self.path == "/stream":  # one JSON event per line as the turn runs
                    self.send_response(200)
                    self.send_header("Content-Type", "application/x-ndjson")
                    self.end_headers()
                    for event in agent.stream(data["text"], session=session, approve=allow):
                        self.wfile.write(event.model_dump_json().encode() + b"\n")
                        self.wfile.flush()
                else:
                    self._send(404, {"error": "not_found", "message": "POST /message or /stream"})
            except EchoTuneError as exc:
                self._send(400 if exc.code == "invalid_input" else 503, exc.to_dict())

    server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
    print(f"listening on http://127.0.0.1:{server.server_address[1]}", flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="An EchoTune bot: stdin loop or loopback webhook.")
    parser.add_argument("--webhook", action="store_true", help="serve HTTP on 127.0.0.1 instead of reading stdin")
    parser.add_argument("--port", type=int, default=8765, help="webhook port (0: any free port)")
    parser.add_argument("--provider", help="offline, openai, gemini, openrouter or openai-compatible")
    parser.add_argument("--model", help="the provider's model")
    parser.add_argument("--allow-actions", action="store_true", help="run tools that act or delete without asking")
    args = parser.parse_args(argv)
    with Agent.from_config(provider=args.provider, model=args.model) as agent:
        if args.webhook:
            webhook(agent, args.allow_actions, args.port)
        else:
            stdin_loop(agent, args.allow_actions)


if __name__ == "__main__":
    main()
