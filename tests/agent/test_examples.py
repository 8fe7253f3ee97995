"""The example bot (stdin loop and loopback webhook) and the demo (tour when piped, chat on a terminal)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import urllib.request
from pathlib import Path

import pexpect

from echotune.tools.context import Context

BOT = Path(__file__).parents[2] / "examples" / "bot.py"


def env_for(data: Path) -> dict[str, str]:
    return os.environ | {"ECHOTUNE_DATA_DIR": str(data), "HF_HUB_OFFLINE": "1", "PROMPT_TOOLKIT_NO_CPR": "1"}


def test_bot_stdin_loop(ctx: Context, warm: Path) -> None:
    ctx.close()
    lines = "alice: find halo\nbob: how big is the catalog\nalice: tell me about the first one\nset diversity to 0.5\n"
    done = subprocess.run([sys.executable, str(BOT)], input=lines, capture_output=True, text=True,
                          env=env_for(warm), timeout=180)  # fmt: skip
    assert done.returncode == 0, done.stderr
    out = done.stdout
    assert "[alice] I found 10 tracks for “halo”" in out and "[bob] The catalog has 20,405 tracks" in out
    assert "[alice] Halo — Beyoncé (2008)." in out  # "the first one" of alice's session, not bob's
    assert "[stdin] OK, I did not run settings_update" in out  # acting tools need --allow-actions


def post(url: str, body: dict[str, str]) -> bytes:
    request = urllib.request.Request(url, data=json.dumps(body).encode(), method="POST")
    with urllib.request.urlopen(request, timeout=120) as response:
        return response.read()


def test_bot_webhook_serves_sessions_in_parallel(ctx: Context, warm: Path) -> None:
    ctx.close()
    proc = subprocess.Popen([sys.executable, str(BOT), "--webhook", "--port", "0", "--allow-actions"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env_for(warm))  # fmt: skip
    try:
        line = proc.stdout.readline()
        assert line.startswith("listening on http://127.0.0.1:"), proc.stderr.read()
        base = line.split()[-1]
        results: dict[str, dict] = {}

        def ask(session: str, text: str) -> None:
            results[session] = json.loads(post(f"{base}/message", {"session": session, "text": text}))

        threads = [threading.Thread(target=ask, args=(f"user{i}", q)) for i, q in
                   enumerate(["find halo", "find hey jude", "show my settings"])]  # fmt: skip
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=180)
        assert results["user0"]["tool_calls"][0]["args"] == {"query": "halo"}
        assert "Hey Jude — The Beatles" in results["user1"]["answer"]
        assert results["user2"]["tool_calls"][0]["name"] == "settings_get"
        events = [json.loads(x) for x in post(f"{base}/stream", {"session": "user0", "text": "set diversity to 0.6"})
                  .decode().splitlines()]  # fmt: skip
        assert [e["kind"] for e in events][-1] == "done" and "confirm" in [e["kind"] for e in events]
        assert "recommendation.diversity is now 0.6" in events[-1]["reply"]["answer"]
        try:
            post(f"{base}/message", {"nope": "x"})
            raise AssertionError("expected a 400")
        except urllib.error.HTTPError as exc:
            assert exc.code == 400
            exc.close()
    finally:
        proc.terminate()
        proc.communicate(timeout=30)


def test_demo_tour_ends_with_agent_turns(capsys, ctx: Context, warm: Path) -> None:
    from echotune.cli import main

    assert main(["demo"]) == 0
    out = capsys.readouterr().out
    assert "Hey Jude" in out and "conflict" in out  # the foundation's tour is still there
    assert "you> find bohemian rhapsody" in out and "→ catalog_search(query='bohemian rhapsody')" in out
    assert "you> tell me about the first one" in out and "bpm" in out
    assert "recommendation.diversity is now 0.4" in out
    assert "→ history_top(period='2024', what='artists')" in out  # the tour imported a history first


def test_demo_on_a_terminal_is_a_chat(ctx: Context, warm: Path) -> None:
    ctx.close()
    exe = str(Path(sys.executable).parent / "echotune")
    child = pexpect.spawn(exe, ["demo"], env=env_for(warm) | {"TERM": "xterm"}, encoding="utf-8", timeout=120,
                          dimensions=(50, 160))  # fmt: skip
    try:
        child.expect("chat with the offline model")
        child.expect("you>")
        child.sendline("find halo")
        child.expect(r"catalog_search\(query='halo'\)")
        child.expect("you>")
        child.sendline("/quit")
        child.expect(pexpect.EOF)
    finally:
        child.close()
    assert child.exitstatus == 0
