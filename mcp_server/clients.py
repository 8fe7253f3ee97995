"""Configuration entries for MCP clients (`echotune mcp config`): the absolute path of this executable, and
the installation settings that did not come from defaults, so the client's server sees the same data."""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

if TYPE_CHECKING:
    from echotune.tools.config import Config

Client = Literal["claude-desktop", "cursor", "vscode"]

WHERE: dict[str, str] = {
    "claude-desktop": 'claude_desktop_config.json (Settings → Developer → Edit Config), under "mcpServers"',
    "cursor": '~/.cursor/mcp.json (or .cursor/mcp.json in a project), under "mcpServers"',
    "vscode": '.vscode/mcp.json in your workspace (or the user mcp.json), under "servers"',
}


def command() -> tuple[str, list[str]]:
    """The absolute command that starts `echotune mcp`: the console script beside this Python, if installed."""
    script = Path(sys.executable).parent / "echotune"
    if script.is_file() and os.access(script, os.X_OK):
        return str(script.absolute()), ["mcp"]
    return str(Path(sys.executable).absolute()), ["-m", "echotune", "mcp"]


def server_env(config: Config) -> dict[str, str]:
    """ECHOTUNE_* values that were set by flag, environment or file, made explicit for the client's process."""
    env = {}
    for key in ("data_dir", "store", "mongo_uri", "mongo_db", "redis_url", "user", "spotify_client_id"):
        if key in config.sources and getattr(config, key) is not None:
            env[f"ECHOTUNE_{key.upper()}"] = str(getattr(config, key))
    if os.environ.get("ECHOTUNE_CONFIG"):
        env["ECHOTUNE_CONFIG"] = str(Path(os.environ["ECHOTUNE_CONFIG"]).absolute())
    return env


def client_config(client: Client, config: Config) -> tuple[dict[str, Any], str]:
    """(the JSON entry to paste, where it goes)."""
    cmd, args = command()
    entry: dict[str, Any] = {"command": cmd, "args": args}
    env = server_env(config)
    if env:
        entry["env"] = env
    if client == "vscode":
        return {"servers": {"echotune": {"type": "stdio", **entry}}}, WHERE[client]
    return {"mcpServers": {"echotune": entry}}, WHERE[client]
