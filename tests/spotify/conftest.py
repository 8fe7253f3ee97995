"""Fixtures for the player tests: the loopback Spotify (tests/fakes/spotify_api.py) with real catalog tracks,
a Context linked to it through the real PKCE login, and the local player over the bundled catalog.

The retry policy's `sleep` is replaced by a recorder, so a 429 with Retry-After: 30 costs no time and the test
can still assert how long EchoTune would have waited.
"""

from __future__ import annotations

import gzip
import socket
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import orjson
import pytest
import requests

from echotune.tools.catalog_build import CATALOG_FILE, DATA_DIR
from echotune.tools.context import Context
from echotune.tools.playback.spotify_api import RetryPolicy
from tests.fakes.spotify_api import FakeSpotify, track_json

CLIENT_ID = "echotune-test-client"
ARTISTS = ("The Beatles", "Queen", "Adele")
NEW_TRACKS = (  # on "Spotify" but not in the bundled catalog: sync must add them
    ("7ouMYWpwJ422jRcDASZB7P", "Knights of Cydonia", "0K6FkDq9ArhR9ZbpEIyo5d", "Muse"),
    ("0EchoTuneNewTrack00002", "Paper Lanterns", "0EchoTuneNewArtist0002", "The Loopbacks"),
)


@pytest.fixture(scope="session")
def catalog_rows() -> list[dict[str, Any]]:
    with gzip.open(DATA_DIR / CATALOG_FILE, "rb") as fh:
        return [orjson.loads(line) for line in fh]


@pytest.fixture(scope="session")
def spotify_tracks(catalog_rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Track objects for the fake: every Beatles, Queen and Adele song of the catalog, popular songs up to 100,
    and two songs the catalog lacks."""
    chosen = [r for r in catalog_rows if any(a["name"] in ARTISTS for a in r["artists"])]
    ids = {r["id"] for r in chosen}
    for r in sorted(catalog_rows, key=lambda r: -(r.get("popularity") or 0)):
        if len(chosen) >= 100:
            break
        if r["id"] not in ids:
            chosen.append(r)
            ids.add(r["id"])
    out = [
        track_json(
            r["id"],
            r["title"],
            [(a["id"], a["name"]) for a in r["artists"]],
            album_id=r["album_id"],
            album_name=f"Album {r['album_id'][:6]}",
            year=r.get("year"),
            duration_ms=r.get("duration_ms") or 200_000,
            genres=r.get("genres"),
        )
        for r in chosen
    ]
    for id_, name, artist_id, artist in NEW_TRACKS:
        out.append(
            track_json(
                id_, name, [(artist_id, artist)], album_id=artist_id[::-1], album_name=f"{artist} hits", year=2003
            )
        )
    return out


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def browser(url: str) -> None:
    """What a person's browser does: open the authorize page (the fake approves at once) and follow the
    redirect to EchoTune's loopback callback."""
    response = requests.get(url, timeout=10)
    response.raise_for_status()


@dataclass
class Spotify:
    """A running fake plus the Context configured for it."""

    fake: FakeSpotify
    ctx: Context
    policy: RetryPolicy
    redirect_uri: str
    sleeps: list[float] = field(default_factory=list)

    def login(self) -> None:
        from echotune.tools.playback.spotify_auth import login

        login(self.ctx.config, browser, timeout_s=10)

    def track_ids(self, artist: str) -> list[str]:
        return [t["id"] for t in self.fake.tracks.values() if any(a["name"] == artist for a in t["artists"])]


@pytest.fixture
def spotify_env(
    ctx: Context, spotify_tracks: list[dict[str, Any]], monkeypatch: pytest.MonkeyPatch, clock: Any
) -> Iterator[Spotify]:
    """The fake Spotify running, EchoTune configured for it (client id, loopback URLs), no account linked yet."""
    redirect = f"http://127.0.0.1:{free_port()}/callback"
    fake = FakeSpotify(spotify_tracks, client_id=CLIENT_ID, redirect_uris=[redirect]).start()
    monkeypatch.setenv("ECHOTUNE_SPOTIFY_CLIENT_ID", CLIENT_ID)
    monkeypatch.setenv("ECHOTUNE_SPOTIFY_REDIRECT_URI", redirect)
    monkeypatch.setenv("ECHOTUNE_SPOTIFY_API_URL", f"{fake.url}/v1/")
    monkeypatch.setenv("ECHOTUNE_SPOTIFY_ACCOUNTS_URL", f"{fake.url}/")
    context = Context.from_config(clock=clock)
    sleeps: list[float] = []
    policy = context.lazy("spotify.retry_policy", lambda: RetryPolicy(sleep=sleeps.append))
    env = Spotify(fake=fake, ctx=context, policy=policy, redirect_uri=redirect, sleeps=sleeps)
    try:
        yield env
    finally:
        context.close()
        fake.stop()
    assert not fake.removed_hits, f"EchoTune called endpoints Spotify removed: {fake.removed_hits}"


@pytest.fixture
def spotify(spotify_env: Spotify) -> Spotify:
    """Linked through the real PKCE flow; the Kitchen speaker is active; nothing is playing."""
    spotify_env.login()
    spotify_env.fake.requests.clear()
    return spotify_env


@pytest.fixture(params=["local", "spotify"])
def player_ctx(request: pytest.FixtureRequest, ctx: Context) -> Context:
    """The same behaviour, asked of both backends."""
    if request.param == "local":
        return ctx
    env: Spotify = request.getfixturevalue("spotify")
    return env.ctx


def token_path(context: Context) -> Path:
    return context.config.spotify_token_path
