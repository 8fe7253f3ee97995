"""`echotune mcp token create|list|revoke`, `echotune mcp config` and `echotune mcp audit`."""

from __future__ import annotations

import json
import os
import sqlite3
from pathlib import Path

import pytest

from echotune.cli import main
from echotune.mcp_server.auth import token_hash, verify
from echotune.tools.context import Context
from echotune.tools.models import AuditEntry


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


def test_token_is_printed_once_and_only_its_hash_is_stored(capsys, empty_ctx: Context) -> None:
    code, out, err = run(capsys, "mcp", "token", "create", "--user", "alice", "--scope", "control", "--label", "car")
    token = out.strip()
    assert code == 0 and token.startswith("et_") and len(token) > 40 and "not shown again" in err
    record = verify(empty_ctx, token)
    assert record is not None and (record.user, record.scope, record.label) == ("alice", "control", "car")
    raw = Path(empty_ctx.config.sqlite_path)
    empty_ctx.close()
    dumped = "\n".join(sqlite3.connect(raw).iterdump())
    assert token not in dumped and token.split("_", 2)[2] not in dumped and token_hash(token) in dumped

    code, out, _ = run(capsys, "mcp", "token", "list", "--json")
    listed = json.loads(out)["tokens"]
    assert code == 0 and [(t["id"], t["user"], t["scope"]) for t in listed] == [(record.id, "alice", "control")]
    assert token not in out

    assert run(capsys, "mcp", "token", "revoke", record.id)[0] == 0
    assert json.loads(run(capsys, "mcp", "token", "list", "--json")[1])["tokens"] == []
    assert json.loads(run(capsys, "mcp", "token", "list", "--all", "--json")[1])["tokens"][0]["revoked_at"]
    code, _, err = run(capsys, "mcp", "token", "revoke", record.id)
    assert code == 3 and "No live token" in err


def test_token_create_refuses_bad_input(capsys, empty_ctx: Context) -> None:
    code, _, err = run(capsys, "mcp", "token", "create", "--user", "alice", "--scope", "root")
    assert code == 2 and "root" in err
    code, _, _ = run(capsys, "mcp", "token", "create", "--user", "alice", "--scope", "read", "--rate", "0")
    assert code == 2


@pytest.mark.parametrize(("client", "key"), [("claude-desktop", "mcpServers"), ("cursor", "mcpServers"),
                                             ("vscode", "servers")])  # fmt: skip
def test_config_entry_has_the_absolute_executable(capsys, client: str, key: str, isolated_env: Path) -> None:
    code, out, err = run(capsys, "mcp", "config", "--client", client)
    entry = json.loads(out)[key]["echotune"]
    assert code == 0 and Path(entry["command"]).is_absolute() and os.access(entry["command"], os.X_OK)
    assert entry["args"][-1] == "mcp"
    assert entry["env"]["ECHOTUNE_DATA_DIR"] == str(isolated_env)
    assert (entry.get("type") == "stdio") == (client == "vscode")
    assert "add this to" in err


def test_audit_command(capsys, empty_ctx: Context) -> None:
    empty_ctx.store.audit.record(AuditEntry(at=empty_ctx.clock(), user="alice", face="mcp", tool="settings_update",
                                            effect="act", token_id="abc", scope="admin",
                                            arguments={"key": "market", "value": "DE"}))  # fmt: skip
    code, out, _ = run(capsys, "mcp", "audit", "--json")
    (entry,) = json.loads(out)["entries"]
    assert code == 0 and entry["tool"] == "settings_update" and entry["arguments"]["value"] == "DE"
