"""The terminal chat driven through a pseudo-terminal (pexpect): tokens appear as they stream, tool calls show
as compact lines, acting tools ask first, slash commands work, and prompt-toolkit edits lines and keeps history.
Plus the printer and helpers on their own."""

from __future__ import annotations

import io
import os
import sys
from pathlib import Path

import pexpect
import pytest

from echotune.agent.chat import Printer, call_line, result_line
from echotune.agent.events import Done, Reply, Token, ToolCallRecord, ToolEnd, ToolStart, Usage
from echotune.tools.context import Context
from tests.fakes.openai_api import FakeOpenAI

ESC = "\x1b"


def spawn(data: Path, *args: str, env: dict[str, str] | None = None) -> pexpect.spawn:
    exe = str(Path(sys.executable).parent / "echotune")
    full_env = os.environ | {"ECHOTUNE_DATA_DIR": str(data), "PROMPT_TOOLKIT_NO_CPR": "1", "TERM": "xterm",
                             "HF_HUB_OFFLINE": "1", **(env or {})}  # fmt: skip
    child = pexpect.spawn(exe, ["chat", *args], env=full_env, encoding="utf-8", timeout=120, dimensions=(50, 160))
    child.expect("you>")
    return child


def prompt(child: pexpect.spawn, line: str) -> None:
    child.sendline(line)


def test_offline_chat_tools_confirmation_and_commands(ctx: Context, warm: Path) -> None:
    ctx.close()
    child = spawn(warm, "--session", "tty")
    try:
        prompt(child, "find hey jude")
        child.expect(r"→ catalog_search\(query='hey jude'\)")
        child.expect(r"← 10 tracks: Hey Jude — The Beatles")
        child.expect("echotune> I found 10 tracks")
        child.expect("you>")

        prompt(child, "set diversity to 0.7")
        child.expect(r"Run settings_update\(key='recommendation.diversity', value=0.7\)\? It changes things. \[y/N\]")
        child.sendline("n")
        child.expect("OK, I did not run settings_update")
        child.expect("you>")
        prompt(child, "set diversity to 0.7")
        child.expect(r"\[y/N\]")
        child.sendline("y")
        child.expect(r"← ok \(version 1\)")
        child.expect("recommendation.diversity is now 0.7")
        child.expect("you>")

        prompt(child, "/confirm never")
        child.expect("confirm: never")
        child.expect("you>")
        prompt(child, "set diversity to 0.3")
        child.expect("recommendation.diversity is now 0.3")  # no question asked
        child.expect("you>")

        prompt(child, "/help")
        child.expect("/provider")
        child.expect("/reset")
        child.expect("you>")
        prompt(child, "/provider")
        child.expect("provider: offline/echotune-offline")
        child.expect("you>")
        prompt(child, "/provider openai")
        child.expect("No API key for openai: set OPENAI_API_KEY")
        child.expect("you>")
        prompt(child, "/session")
        child.expect(r"session: tty \(\d+ messages\)")
        child.expect("you>")
        prompt(child, "/reset")
        child.expect("session tty: conversation cleared")
        child.expect("you>")
        prompt(child, "/session fresh")
        child.expect(r"session: fresh \(new\)")
        child.expect("you>")
        prompt(child, "/nonsense")
        child.expect("unknown command /nonsense")
        child.expect("you>")
        prompt(child, "/quit")
        child.expect(pexpect.EOF)
    finally:
        child.close()
    assert child.exitstatus == 0


def test_line_editing_and_history(ctx: Context, warm: Path) -> None:
    ctx.close()
    child = spawn(warm)
    try:
        child.send("alo")
        child.send("\x01")  # Ctrl-A: start of line
        child.send("find h")
        child.send("\r")
        child.expect(r"catalog_search\(query='halo'\)")
        child.expect("you>")
        child.send(ESC + "[A")  # up arrow: the previous line again
        child.send("\r")
        child.expect(r"catalog_search\(query='halo'\)")
        child.expect("you>")
        child.sendeof()
        child.expect(pexpect.EOF)
    finally:
        child.close()
    assert "find halo" in (warm / "chat_history.txt").read_text()


def test_chat_streams_tokens_as_they_arrive(ctx: Context, warm: Path) -> None:
    ctx.close()
    with FakeOpenAI() as api:
        api.enqueue(text="Streaming works one word at a time here.", hold_after=3)
        env = {"ECHOTUNE_OPENAI_COMPATIBLE_BASE_URL": api.base_url, "OPENAI_COMPATIBLE_API_KEY": api.api_key}
        child = spawn(warm, "--provider", "openai-compatible", "--model", "local-llm", env=env)
        try:
            assert "openai-compatible/local-llm" in child.before  # the banner
            prompt(child, "hello")
            child.expect("echotune> Streaming works one")  # the server holds the rest back...
            assert "time here" not in child.before + (child.after or "")
            api.release.set()  # ...until now
            child.expect("at a time here.")
            child.expect("you>")
            child.sendline("/quit")
            child.expect(pexpect.EOF)
        finally:
            child.close()


def test_printer_and_lines() -> None:
    out = io.StringIO()
    printer = Printer(out=out, color=False, prefix="> ")
    call = ToolCallRecord(id="1", name="catalog_search", args={"query": "x"},
                          result={"tracks": [{"title": "A", "artists": "B", "year": 1999}]})  # fmt: skip
    for event in (Token(text="Hel"), ToolStart(id="1", name="catalog_search", args={"query": "x"}), ToolEnd(call=call),
                  Token(text="lo"), Done(reply=Reply(answer="Hello", session="s", usage=Usage(provider="p", model="m")))):  # fmt: skip
        printer.event(event)
    assert out.getvalue() == "> Hel\n  → catalog_search(query='x')\n  ← 1 tracks: A — B (1999)\nlo\n"
    assert call_line("q", {"tracks": ["a", "b", "c"], "text": "y" * 60}).startswith("q(tracks=[3 items], text='yyy")
    failed = ToolCallRecord(name="x", error={"error": "not_found", "message": "No track"})
    assert result_line(failed) == "not_found: No track"


@pytest.mark.parametrize("answer", ["y", "yes", "n", ""])
def test_approver_reads_yes_and_no(answer: str) -> None:
    from echotune.agent.chat import approver
    from echotune.agent.events import ConfirmRequest, PendingCall

    asked: list[str] = []
    decide = approver(lambda q: asked.append(q) or answer)
    request = ConfirmRequest(calls=[PendingCall(id="c", name="settings_update", args={"key": "k"}, effect="act")])
    assert decide(request) == {"c": answer in ("y", "yes")}
    assert asked == ["Run settings_update(key='k')? It changes things. [y/N] "]
