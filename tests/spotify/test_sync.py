"""`spotify sync`: recently played tracks become plays, those and the top tracks become catalog tracks (source
"spotify") without overwriting what the bundled catalog knows; repeating it stores nothing twice."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from echotune.tools.context import Context
from echotune.tools.errors import NotConfiguredError
from echotune.tools.registry import call_tool
from tests.spotify.conftest import NEW_TRACKS, Spotify

HEY_JUDE = "1eT2CjXwFXNx6oY5ydvzKU"


def seed(spotify: Spotify) -> list[str]:
    ids = [i for i in spotify.fake.tracks if i not in {t[0] for t in NEW_TRACKS}]
    now = datetime.now(UTC).replace(microsecond=0)
    played = [HEY_JUDE, NEW_TRACKS[0][0], *ids[:58]]
    spotify.fake.recently_played = [(t, now - timedelta(minutes=4 * i)) for i, t in enumerate(played)]
    spotify.fake.top_tracks["long_term"] = [NEW_TRACKS[1][0], HEY_JUDE]
    spotify.fake.top_tracks["short_term"] = ids[:3]
    return played


def test_sync_brings_plays_and_tracks(spotify: Spotify) -> None:
    played = seed(spotify)
    before = spotify.ctx.store.catalog.get(HEY_JUDE)
    reports: list[tuple[str, int, int]] = []
    spotify.ctx.progress = lambda task, done, total: reports.append((task, done, total))

    result = call_tool(spotify.ctx, "spotify_sync")
    assert result.backend == "spotify" and result.plays_added == 50 and result.plays_known == 0
    assert result.tracks_added == 2 and not result.history_off
    assert reports[0] == ("Syncing from Spotify", 0, 4) and reports[-1] == ("Syncing from Spotify", 4, 4)

    plays = spotify.ctx.store.plays.list(spotify.ctx.user)
    assert len(plays) == 50 and [p.track_id for p in plays] == played[:50]
    first = plays[0]
    assert first.source == "spotify-sync" and first.track_uri == f"spotify:track:{HEY_JUDE}"
    assert first.title == "Hey Jude" and first.artist == "The Beatles" and first.extra["ms_played_estimated"]
    assert first.ms_played == spotify.fake.tracks[HEY_JUDE]["duration_ms"]

    for id_, name, _, artist in NEW_TRACKS:
        track = spotify.ctx.store.catalog.get(id_)
        assert track.source == "spotify" and track.title == name and track.artists[0].name == artist
        assert track.year == 2003 and track.popularity is None  # Spotify no longer serves popularity
    after = spotify.ctx.store.catalog.get(HEY_JUDE)
    assert after == before and after.source == "bundled" and after.features is not None, "bundled data is kept"
    hits = call_tool(spotify.ctx, "catalog_search", {"query": "knights of cydonia"}).tracks
    assert hits[0].id == NEW_TRACKS[0][0], "the search index sees the new tracks"

    again = call_tool(spotify.ctx, "spotify_sync")
    assert again.plays_added == 0 and again.plays_known == 50 and again.tracks_added == 0
    assert spotify.ctx.store.plays.count(spotify.ctx.user) == 50


def test_sync_respects_privacy(spotify: Spotify) -> None:
    seed(spotify)
    call_tool(spotify.ctx, "settings_update", {"key": "privacy.store_history", "value": False})
    result = call_tool(spotify.ctx, "spotify_sync", {"top": False})
    assert result.history_off and result.plays_added == 0 and "privacy" in result.message
    assert spotify.ctx.store.plays.count(spotify.ctx.user) == 0
    assert result.tracks_added == 1, "the catalog still learns the tracks"
    assert not spotify.fake.calls("GET", "/v1/me/top")


def test_sync_needs_a_linked_account(ctx: Context) -> None:
    with pytest.raises(NotConfiguredError, match="linked Spotify account") as info:
        call_tool(ctx, "spotify_sync")
    assert "echotune spotify login" in info.value.hint
