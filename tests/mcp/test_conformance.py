"""The official MCP conformance suite (npm @modelcontextprotocol/conformance 0.1.13, which runs on Node 20)
against `echotune mcp --http` on loopback: every scenario that applies to any server must pass. The other
scenarios call fixture tools that only the suite's own test server has. Needs node and npm (skipped, with the
reason printed, only when they are absent); npx fetches the suite from the npm registry once."""

from __future__ import annotations

import json
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.mcp.conftest import HttpServer, run_http_server

SUITE = "@modelcontextprotocol/conformance@0.1.13"
SCENARIOS = (
    "server-initialize",
    "ping",
    "tools-list",
    "resources-list",
    "prompts-list",
    "server-sse-multiple-streams",
    "dns-rebinding-protection",
)
"""logging-set-level and resources-subscribe/unsubscribe apply only to servers offering those capabilities;
EchoTune offers neither (its initialize result says so), so they are not run."""

NPX = shutil.which("npx")
pytestmark = pytest.mark.skipif(
    not (NPX and shutil.which("node") and shutil.which("npm")),
    reason="node/npm are not installed: the MCP conformance suite cannot run (apt-get install nodejs npm)",
)


@pytest.fixture(scope="module")
def server(mcp_data: Path) -> Iterator[HttpServer]:
    with run_http_server(mcp_data) as s:
        yield s


@pytest.mark.parametrize("scenario", SCENARIOS)
def test_conformance_scenario_passes(server: HttpServer, scenario: str, tmp_path: Path) -> None:
    done = subprocess.run(
        [NPX, "-y", SUITE, "server", "--url", server.url, "--scenario", scenario, "-o", str(tmp_path)],
        capture_output=True, text=True, timeout=240,
    )  # fmt: skip
    (checks_file,) = tmp_path.rglob("checks.json")
    checks = json.loads(checks_file.read_text())
    failed = [c for c in checks if c["status"] == "FAILURE"]
    assert checks and not failed, json.dumps(failed, indent=1)
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    summary = [line for line in done.stdout.splitlines() if line.startswith("Passed:")]
    print(f"{scenario}: {summary[-1] if summary else done.stdout[-200:]}")
