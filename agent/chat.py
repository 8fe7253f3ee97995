"""The terminal chat (`echotune chat`) and one-shot answers (`echotune ask`): streamed tokens, one compact line per
tool call, a yes/no prompt before tools that act or destroy, slash commands, and prompt-toolkit line editing with a
persistent input history. Any front end could be built the same way on `Agent.stream()`."""

from __future__ import annotations

import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import IO, Any

from echotune.agent.api import Agent
from echotune.agent.events import ConfirmRequest, Done, PendingCall, Reply, Token, ToolCallRecord, ToolEnd, ToolStart
from echotune.tools.errors import EchoTuneError

HELP = """Commands:
  /help                      this list
  /provider [NAME [MODEL]]   show or switch the model provider (offline, openai, gemini, openrouter, openai-compatible)
  /session [NAME]            show this session, or switch to (or start) another one
  /reset                     forget this session's conversation
  /confirm [act|destroy|never]  which tools ask before running
  /quit                      leave (Ctrl-D works too)"""


def short_value(value: Any, width: int = 40) -> str:
    if isinstance(value, list):
        if len(value) <= 2 and all(isinstance(v, str | int | float) and len(str(v)) <= 24 for v in value):
            return "[" + ", ".join(short_value(v) for v in value) + "]"
        return f"[{len(value)} items]"
    text = repr(value) if isinstance(value, str) else str(value)
    return text if len(text) <= width else text[: width - 1] + "…"


def call_line(name: str, args: dict[str, Any]) -> str:
    """`catalog_search(query='hey jude', limit=3)`: a tool call as one short line."""
    return f"{name}(" + ", ".join(f"{k}={short_value(v)}" for k, v in args.items()) + ")"


def result_line(call: ToolCallRecord) -> str:
    """What a tool call gave, in a few words."""
    from echotune.agent.offline.answer import is_track, item_label, track_label

    if call.error is not None:
        return f"{call.error.get('error', 'error')}: {call.error.get('message', '')}"
    result = call.result or {}
    for key, value in result.items():
        if isinstance(value, list):
            if not value:
                return f"no {key.replace('_', ' ')}"
            shown = ", ".join(item_label(v) if not is_track(v) else track_label(v) for v in value[:2])
            more = ", …" if len(value) > 2 else ""
            return f"{len(value)} {key.replace('_', ' ')}: {shown}{more}"
    if is_track(result.get("track")):
        return track_label(result["track"])
    if "version" in result:
        return f"ok (version {result['version']})"
    scalars = [f"{k} {v}" for k, v in result.items() if isinstance(v, str | int | float | bool)][:3]
    return ", ".join(scalars) or "ok"


def confirm_text(call: PendingCall) -> str:
    what = "deletes data" if call.effect == "destroy" else "changes things"
    return f"Run {call_line(call.name, call.args)}? It {what}. [y/N] "


@dataclass
class Printer:
    """Writes a turn's events: tokens as they come, tool lines dimmed on their own lines."""

    out: IO[str] = field(default_factory=lambda: sys.stdout)
    notes: IO[str] | None = None  # where tool lines go (default: out)
    color: bool = True
    prefix: str = ""
    _mid_line: bool = False
    _started: bool = False

    def _dim(self, text: str) -> str:
        return f"\x1b[2m{text}\x1b[0m" if self.color else text

    def _note(self, text: str) -> None:
        target = self.notes or self.out
        if self._mid_line and target is self.out:
            self.out.write("\n")
            self._mid_line = False
        target.write(self._dim(text) + "\n")
        target.flush()

    def event(self, event: Any) -> None:
        if isinstance(event, Token):
            if not self._started:
                self.out.write(self.prefix)
                self._started = True
            self.out.write(event.text)
            self.out.flush()
            self._mid_line = not event.text.endswith("\n")
        elif isinstance(event, ToolStart):
            self._note(f"  → {call_line(event.name, event.args)}")
        elif isinstance(event, ToolEnd):
            mark = "✗" if event.call.error else "←"
            self._note(f"  {mark} {result_line(event.call)}")
        elif isinstance(event, Done):
            if self._started:
                self.out.write("\n")
                self.out.flush()
            elif event.reply.answer:  # nothing streamed (a model without streaming): print the answer whole
                self.out.write(self.prefix + event.reply.answer + "\n")
                self.out.flush()
            self._started = self._mid_line = False


def approver(ask: Callable[[str], str]) -> Callable[[ConfirmRequest], dict[str, bool]]:
    """An approve callback that asks a yes/no question per pending call."""

    def approve(request: ConfirmRequest) -> dict[str, bool]:
        decisions = {}
        for call in request.calls:
            try:
                answer = ask(confirm_text(call))
            except (EOFError, KeyboardInterrupt):
                answer = "n"
            decisions[call.id] = answer.strip().lower() in ("y", "yes", "ja", "si", "sí", "oui")
        return decisions

    return approve


def new_session_name() -> str:
    return "chat-" + datetime.now().strftime("%Y%m%d-%H%M%S")


class Chat:
    """One terminal chat: an agent, the current session and provider, and how to read a line."""

    def __init__(
        self,
        agent: Agent,
        *,
        session: str | None = None,
        provider: str | None = None,
        model: str | None = None,
        read: Callable[[str], str] | None = None,
        out: IO[str] | None = None,
        color: bool = True,
    ):
        self.agent = agent
        self.session = session or new_session_name()
        self.provider, self.model = provider, model
        self.out = out or sys.stdout
        self.color = color
        self.read = read or input

    def say(self, text: str) -> None:
        self.out.write(text + "\n")
        self.out.flush()

    def banner(self) -> None:
        choice = self.agent.choice(self.provider, self.model)
        resumed = len(self.agent.messages(self.session))
        state = f"resumed, {resumed} messages" if resumed else f"new; resume later with --session {self.session}"
        self.say(f"EchoTune chat · {choice.label} · session {self.session} ({state}) · /help for commands")

    def check_provider(self) -> None:
        """Fall back to offline (and say why) when the chosen provider cannot be built (e.g. no key)."""
        try:
            self.agent.run_context(self.agent.choice(self.provider, self.model))
        except EchoTuneError as exc:
            self.say(f"! {exc.message}" + (f" ({exc.hint})" if exc.hint else "") + " — using the offline model.")
            self.provider, self.model = "offline", None

    def turn(self, text: str) -> Reply | None:
        printer = Printer(out=self.out, color=self.color, prefix="echotune> ")
        reply = None
        try:
            for event in self.agent.stream(
                text,
                session=self.session,
                approve=approver(self.read),
                provider=self.provider,
                model=self.model,
            ):
                printer.event(event)
                if isinstance(event, Done):
                    reply = event.reply
        except EchoTuneError as exc:
            self.say(f"\n! {exc.message}" + (f"\n  hint: {exc.hint}" if exc.hint else ""))
        except Exception as exc:  # a bug must not end the chat; the session is kept in its checkpoints
            import logging

            logging.getLogger("echotune.agent").exception("chat turn failed")
            self.say(f"\n! unexpected error: {exc!r} (the conversation is kept; try again or /reset)")
        return reply

    def command(self, line: str) -> bool:
        """Run a slash command; False means quit."""
        name, *args = line[1:].split()
        name = name.lower()
        if name in ("quit", "exit", "q"):
            return False
        if name == "help":
            self.say(HELP)
        elif name == "provider":
            if not args:
                self.say(f"provider: {self.agent.choice(self.provider, self.model).label}")
            else:
                old = (self.provider, self.model)
                self.provider, self.model = args[0], (args[1] if len(args) > 1 else None)
                try:
                    choice = self.agent.choice(self.provider, self.model)
                    self.agent.run_context(choice)
                    self.say(f"provider: {choice.label}")
                except EchoTuneError as exc:
                    self.provider, self.model = old
                    self.say(f"! {exc.message}" + (f" ({exc.hint})" if exc.hint else ""))
        elif name == "session":
            if args:
                self.session = args[0]
                count = len(self.agent.messages(self.session))
                self.say(f"session: {self.session} ({f'resumed, {count} messages' if count else 'new'})")
            else:
                self.say(f"session: {self.session} ({len(self.agent.messages(self.session))} messages)")
        elif name == "reset":
            self.agent.reset(self.session)
            self.say(f"session {self.session}: conversation cleared")
        elif name == "confirm":
            if args and args[0] in ("act", "destroy", "never"):
                self.agent.confirm = args[0]  # type: ignore[assignment]
            self.say(f"confirm: {self.agent.confirm} (ask before tools that {_policy(self.agent.confirm)})")
        else:
            self.say(f"unknown command /{name}; /help lists them")
        return True

    def run(self) -> None:
        self.check_provider()
        self.banner()
        while True:
            try:
                line = self.read("you> ").strip()
            except (EOFError, KeyboardInterrupt):
                self.say("")
                break
            if not line:
                continue
            if line.startswith("/"):
                if not self.command(line):
                    break
                continue
            self.turn(line)


def _policy(confirm: str) -> str:
    return {"act": "act or delete", "destroy": "delete data", "never": "(none: never ask)"}[confirm]


def line_reader(history_file: str | None) -> Callable[[str], str]:
    """prompt-toolkit line editing with a persistent history when stdin is a terminal; plain input() otherwise."""
    if not sys.stdin.isatty():

        def plain(prompt: str) -> str:
            sys.stdout.write(prompt)
            sys.stdout.flush()
            line = sys.stdin.readline()
            if not line:
                raise EOFError
            return line.rstrip("\n")

        return plain
    from prompt_toolkit import PromptSession
    from prompt_toolkit.history import FileHistory, InMemoryHistory

    session: PromptSession[str] = PromptSession(
        history=FileHistory(history_file) if history_file else InMemoryHistory()
    )
    yes_no: PromptSession[str] = PromptSession()

    def read(prompt: str) -> str:
        return session.prompt(prompt) if prompt == "you> " else yes_no.prompt(prompt)

    return read
