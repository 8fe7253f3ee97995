"""recommend_playlist: "make a playlist of N songs like X" composes the recommender with the player's playlist
tools, on the local player and on (loopback) Spotify alike."""

from __future__ import annotations

from typing import Any

import pytest

from echotune.tools.context import Context
from echotune.tools.errors import InvalidInputError
from echotune.tools.registry import call_tool

HEY_JUDE = "1eT2CjXwFXNx6oY5ydvzKU"


@pytest.fixture(scope="module")
def spotify_tracks(catalog_rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """This module's fake Spotify knows every catalog track, so any recommendation can go on a playlist."""
    return catalog_rows


def test_playlist_of_songs_like_a_track(player_ctx: Context) -> None:
    made = call_tool(player_ctx, "recommend_playlist", {"seed_tracks": [HEY_JUDE], "limit": 12, "name": "Like Jude"})
    assert made.playlist.name == "Like Jude" and made.playlist.tracks == 12 and len(made.tracks) == 12
    assert made.backend == player_ctx.player.backend and "12 songs" in made.message
    items = call_tool(player_ctx, "playlist_items", {"playlist": made.playlist.id, "limit": 50})
    assert [i.id for i in items.items] == [t.id for t in made.tracks], "the playlist holds exactly the recommendations"
    assert HEY_JUDE not in [t.id for t in made.tracks], "the seed itself is not recommended back"
    listed = call_tool(player_ctx, "playlists_list", {})
    assert made.playlist.id in [p.id for p in listed.playlists]


def test_default_name_says_what_it_was_made_from(ctx: Context) -> None:
    made = call_tool(ctx, "recommend_playlist", {"text": "rainy sunday jazz", "limit": 5})
    assert made.playlist.name.startswith("EchoTune: ") and "rainy sunday jazz" in made.playlist.name.lower()
    assert made.playlist.tracks == 5


def test_bad_requests_make_no_playlist(ctx: Context) -> None:
    with pytest.raises(InvalidInputError, match="limit"):
        call_tool(ctx, "recommend_playlist", {"seed_tracks": [HEY_JUDE], "limit": 500})
    with pytest.raises(InvalidInputError, match="not a Spotify track id"):
        call_tool(ctx, "recommend_playlist", {"seed_tracks": ["hey jude"]})
    assert call_tool(ctx, "playlists_list", {}).playlists == []


def test_feedback_without_a_track_is_about_the_one_playing(ctx: Context) -> None:
    from echotune.tools.errors import InvalidInputError

    with pytest.raises(InvalidInputError, match="Nothing is playing"):
        call_tool(ctx, "recommend_feedback", {"kind": "dislike"})
    call_tool(ctx, "player_play", {"what": "hey jude"})
    playing = call_tool(ctx, "player_now_playing", {}).playing.item.id
    answer = call_tool(ctx, "recommend_feedback", {"kind": "dislike"})
    assert answer.track_id == playing and [f.track_id for f in ctx.store.feedback.for_user(ctx.user)] == [playing]
