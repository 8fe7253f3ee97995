"""`echotune mcp --http --workers 2`: stateless, two processes behind one port, answering the real client."""

from __future__ import annotations

from pathlib import Path

import httpx

from tests.mcp.conftest import http_session, remote, run_http_server


def test_two_stateless_workers_serve_the_real_client(mcp_data: Path) -> None:
    with run_http_server(mcp_data, "--workers", "2", log_name="workers.log") as server:
        health = httpx.get(f"{server.base}/healthz", timeout=10).json()
        assert (health["status"], health["auth"], health["stateless"]) == ("ok", False, True)
        with remote(lambda: http_session(server.url)) as client:
            for _ in range(6):  # spread over both workers
                found = client.call_tool("catalog_search", {"query": "wonderwall", "limit": 1})
                assert not found.is_error and found.structured_content["tracks"][0]["title"] == "Wonderwall"
            assert len(client.list_tools().tools) >= 7
        assert server.log_text().count("Started server process") == 2
