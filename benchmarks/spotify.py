"""Player latency: tool calls on the local player, and on Spotify through the loopback server (EchoTune's own
overhead: validation, the registry, spotipy, the retry layer; Spotify's network time comes on top), plus the
PKCE login round trip and how fast a quota-exhausted client refuses."""

from __future__ import annotations

import tempfile
from pathlib import Path

import requests

from benchmarks.harness import Row, percentiles, time_ms

CALLS = 100


def _row(area: str, measure: str, samples: list[float], goal_ms: float) -> Row:
    p50, p95 = percentiles(samples)
    return Row(area, f"{measure} p50 / p95", f"{p50:.1f} / {p95:.1f} ms", f"p95 < {goal_ms:g} ms", p95 < goal_ms)


def run() -> list[Row]:
    from echotune.tools.catalog import ensure_bundled
    from echotune.tools.config import load_config
    from echotune.tools.context import Context
    from echotune.tools.playback.spotify_api import RetryPolicy
    from echotune.tools.playback.spotify_auth import login
    from echotune.tools.registry import call_tool
    from tests.fakes.spotify_api import FakeSpotify, track_json

    rows: list[Row] = []
    with tempfile.TemporaryDirectory() as tmp:
        config = load_config({"data_dir": tmp}, config_file=Path(tmp) / "none.toml", environ={})
        ctx = Context.from_config(config)
        ensure_bundled(ctx)
        call_tool(ctx, "player_play", {"what": "hey jude"})  # builds the search index
        rows.append(_row("local player", "`player now` (time catch-up + store)", time_ms(
            lambda: call_tool(ctx, "player_now_playing"), CALLS), 25))  # fmt: skip
        rows.append(_row("local player", "`player play <words>` (fuzzy search + play)", time_ms(
            lambda: call_tool(ctx, "player_play", {"what": "bohemian rapsody"}), 30), 150))  # fmt: skip
        rows.append(_row("local player", "`queue add <id>`", time_ms(
            lambda: call_tool(ctx, "queue_add", {"track": "1eT2CjXwFXNx6oY5ydvzKU"}), CALLS), 30))  # fmt: skip
        tracks = [
            track_json(
                t.id,
                t.title,
                [(a.id or "0" * 22, a.name) for a in t.artists],
                album_id=t.album_id or t.id,
                album_name="Album",
                year=t.year,
            )
            for t in list(ctx.store.catalog.all())[:500]
        ]
        ctx.close()

        import socket

        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            redirect = f"http://127.0.0.1:{s.getsockname()[1]}/callback"
        with FakeSpotify(tracks, client_id="bench", redirect_uris=[redirect]) as fake:
            linked = load_config(
                {"data_dir": tmp},
                config_file=Path(tmp) / "none.toml",
                environ={
                    "ECHOTUNE_SPOTIFY_CLIENT_ID": "bench",
                    "ECHOTUNE_SPOTIFY_REDIRECT_URI": redirect,
                    "ECHOTUNE_SPOTIFY_API_URL": f"{fake.url}/v1/",
                    "ECHOTUNE_SPOTIFY_ACCOUNTS_URL": f"{fake.url}/",
                },
            )

            def browser(url: str) -> None:
                requests.get(url, timeout=10).raise_for_status()

            rows.append(_row("spotify", "PKCE login round trip (loopback)", time_ms(
                lambda: login(linked, browser, timeout_s=10), 10), 500))  # fmt: skip
            sctx = Context.from_config(linked)
            sctx.lazy("spotify.retry_policy", lambda: RetryPolicy(sleep=lambda s: None))
            call_tool(sctx, "player_play", {"what": tracks[0]["name"]})
            rows.append(_row("spotify", "`player now` (1 request)", time_ms(
                lambda: call_tool(sctx, "player_now_playing"), CALLS), 30))  # fmt: skip
            rows.append(_row("spotify", "`spotify search` (1 request)", time_ms(
                lambda: call_tool(sctx, "spotify_search", {"query": tracks[1]["name"]}), CALLS), 30))  # fmt: skip
            rows.append(_row("spotify", "`player play <words>` (search + play)", time_ms(
                lambda: call_tool(sctx, "player_play", {"what": tracks[2]["name"]}), CALLS), 50))  # fmt: skip
            for i in range(120):
                fake.add_playlist(f"List {i}")
            rows.append(_row("spotify", "`playlists list --limit 200` (3 pages)", time_ms(
                lambda: call_tool(sctx, "playlists_list", {"limit": 200}), 30), 100))  # fmt: skip

            body = {"error": {"status": 429, "message": "Too many requests", "reason": "QUOTA_EXCEEDED"}}
            fake.fail("/v1/me/player", 429, body=body, headers={"Retry-After": "60"}, times=1000)
            sent = len(fake.requests)

            def refused() -> None:
                try:
                    call_tool(sctx, "player_now_playing")
                except Exception:
                    return

            refused()
            samples = time_ms(refused, CALLS, warmup=0)
            storm = len(fake.requests) - sent
            p50, p95 = percentiles(samples)
            rows.append(Row("spotify", "after QUOTA_EXCEEDED: refusal p50 / p95, requests sent for 101 calls",
                            f"{p50:.2f} / {p95:.2f} ms, {storm} request(s)", "1 request", storm == 1))  # fmt: skip
            sctx.close()
    return rows
