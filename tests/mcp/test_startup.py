"""Start-up stays light: building the whole MCP server (every registry tool, resources, prompts) imports none of
the heavy libraries; they load on first use. The time goal itself is measured in benchmarks/mcp.py."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from tests.mcp.conftest import server_env

HEAVY = ("torch", "faiss", "sentence_transformers", "transformers", "langchain", "langchain_core", "langgraph",
         "numpy", "rapidfuzz", "spotipy", "pymongo", "redis", "sklearn", "plotly")  # fmt: skip

BUILD = """
import json, sys
from echotune.mcp_server.server import build_server
from echotune.tools.context import Context
server = build_server(Context.from_config(face="mcp"))
print(json.dumps(sorted({m.split(".")[0] for m in sys.modules})))
"""


def test_building_the_server_imports_nothing_heavy(tmp_path: Path) -> None:
    done = subprocess.run([sys.executable, "-c", BUILD], capture_output=True, text=True, env=server_env(tmp_path),
                          check=True, timeout=120)  # fmt: skip
    loaded = set(json.loads(done.stdout.splitlines()[-1]))
    assert not loaded & set(HEAVY), sorted(loaded & set(HEAVY))
