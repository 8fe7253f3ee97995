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


def test_the_workers_socket_gives_connections_without_nagle_delay() -> None:
    """asyncio turns Nagle off (TCP_NODELAY) only on connections of a socket that says TCP; uvicorn's own
    socket says protocol 0, which left every worker answer waiting 40 ms for the client's delayed ACK."""
    import asyncio
    import socket

    from echotune.mcp_server.http import listening_socket

    async def nodelay_of(sock: socket.socket) -> int:
        accepted: asyncio.Future[int] = asyncio.get_running_loop().create_future()

        async def on_connect(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            conn = writer.get_extra_info("socket")
            accepted.set_result(conn.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY))
            writer.close()

        server = await asyncio.start_server(on_connect, sock=sock)
        _, writer = await asyncio.open_connection(*sock.getsockname()[:2])
        try:
            return await asyncio.wait_for(accepted, 10)
        finally:
            writer.close()
            server.close()
            await server.wait_closed()

    protocol_zero = socket.socket(socket.AF_INET)  # how uvicorn binds it
    protocol_zero.bind(("127.0.0.1", 0))
    assert asyncio.run(nodelay_of(protocol_zero)) == 0
    assert asyncio.run(nodelay_of(listening_socket("127.0.0.1", 0))) == 1
