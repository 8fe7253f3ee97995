"""Every player, playlist, library and search tool against the loopback Spotify: the endpoints it calls are the
current ones (POST /me/playlists, /playlists/{id}/items, PUT/DELETE /me/library, search limit 10), its answers
are parsed from today's shapes (`item` entries, `items` summaries, null-padded search results), and long lists
are paged."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from echotune.tools.errors import InvalidInputError, NotFoundError, UpstreamError
from echotune.tools.registry import call_tool
from tests.fakes.spotify_api import OTHER_USER
from tests.spotify.conftest import Spotify

HEY_JUDE = "1eT2CjXwFXNx6oY5ydvzKU"
SOMETHING = "0pNeVovbiZHkulpGeOx1Gj"
ABBEY_ROAD = "0ETFjACtuP2ADo6LFhL6HN"
BEATLES_1 = "1Ye7yrA7vAlQnoooj8yDXb"  # six catalog songs on one album
KITCHEN = "d3v1ce0000kitchen0000000000000000000001"


def paths(spotify: Spotify) -> list[tuple[str, str]]:
    return [(r.method, r.path) for r in spotify.fake.api_calls()]


def test_search_all_kinds(spotify: Spotify) -> None:
    spotify.fake.add_playlist("Beatles for a rainy day")
    found = call_tool(spotify.ctx, "spotify_search", {"query": "beatles", "kind": "all", "limit": 10})
    assert found.backend == "spotify" and "[Spotify]" in found.message
    assert found.artists[0].name == "The Beatles"
    assert len(found.tracks) == 10 and all("Beatles" in t.artists for t in found.tracks)
    assert [p.name for p in found.playlists] == ["Beatles for a rainy day"], "null entries are skipped"
    search = spotify.fake.calls("GET", "/v1/search")[0].query
    assert search["type"] == "track,artist,album,playlist" and search["limit"] == "10"
    assert search["market"] == "from_token"


def test_play_a_track_by_words(spotify: Spotify) -> None:
    played = call_tool(spotify.ctx, "player_play", {"what": "hey jude"})
    assert played.backend == "spotify" and played.playing[0].id == HEY_JUDE
    assert played.message == "Playing Hey Jude — The Beatles. [Spotify]"
    body = spotify.fake.calls("PUT", "/v1/me/player/play")[0].body
    assert body == {"uris": [f"spotify:track:{HEY_JUDE}"]}
    now = call_tool(spotify.ctx, "player_now_playing")
    assert now.playing.is_playing and now.playing.item.title == "Hey Jude"
    assert now.playing.device.name == "Kitchen speaker" and "on Kitchen speaker" in now.message


def test_play_an_album_an_artist_a_playlist_and_uris(spotify: Spotify) -> None:
    call_tool(spotify.ctx, "player_play", {"what": f"spotify:album:{ABBEY_ROAD}"})
    assert spotify.fake.calls("PUT", "/v1/me/player/play")[-1].body == {"context_uri": f"spotify:album:{ABBEY_ROAD}"}
    call_tool(spotify.ctx, "player_play", {"what": "queen", "kind": "artist"})
    assert spotify.fake.calls("PUT", "/v1/me/player/play")[-1].body["context_uri"].startswith("spotify:artist:")
    mine = spotify.fake.add_playlist("Road trip", [HEY_JUDE, SOMETHING])
    call_tool(spotify.ctx, "player_play", {"what": "road trip", "kind": "playlist"})
    assert spotify.fake.calls("PUT", "/v1/me/player/play")[-1].body == {"context_uri": f"spotify:playlist:{mine['id']}"}
    call_tool(spotify.ctx, "player_play", {"uris": [HEY_JUDE, f"https://open.spotify.com/track/{SOMETHING}?si=x"]})
    assert spotify.fake.calls("PUT", "/v1/me/player/play")[-1].body == {
        "uris": [f"spotify:track:{HEY_JUDE}", f"spotify:track:{SOMETHING}"]
    }
    assert call_tool(spotify.ctx, "queue_show").queue[0].id == SOMETHING


def test_play_on_a_device_by_name(spotify: Spotify) -> None:
    played = call_tool(spotify.ctx, "player_play", {"what": "hey jude", "device": "laptop"})
    assert played.device == "Laptop"
    assert spotify.fake.calls("PUT", "/v1/me/player/play")[0].query["device_id"].startswith("d3v1ce0000laptop")
    with pytest.raises(NotFoundError, match="No Spotify device called 'toaster'") as info:
        call_tool(spotify.ctx, "player_play", {"what": "hey jude", "device": "toaster"})
    assert "Kitchen speaker" in info.value.hint


def test_nothing_found_to_play(spotify: Spotify) -> None:
    with pytest.raises(NotFoundError, match="no track matching 'zzqx nonexistent'"):
        call_tool(spotify.ctx, "player_play", {"what": "zzqx nonexistent"})
    assert not spotify.fake.calls("PUT", "/v1/me/player/play")


def test_controls_call_the_player_endpoints(spotify: Spotify) -> None:
    call_tool(spotify.ctx, "player_play", {"what": f"spotify:album:{BEATLES_1}"})
    spotify.fake.requests.clear()
    for name, args in [
        ("player_pause", {}),
        ("player_pause", {}),  # already paused: Spotify says "restriction violated", the player is where we want
        ("player_resume", {}),
        ("player_next", {}),
        ("player_previous", {}),
        ("player_seek", {"position": "1:30"}),
        ("player_volume", {"percent": 35}),
        ("player_shuffle", {"state": "on"}),
        ("player_repeat", {"state": "context"}),
    ]:
        answer = call_tool(spotify.ctx, name, args)
        assert answer.backend == "spotify" and answer.message.endswith("[Spotify]")
    commands = [(m, p) for m, p in paths(spotify) if p != "/v1/me/player"]
    assert commands == [
        ("PUT", "/v1/me/player/pause"),
        ("PUT", "/v1/me/player/pause"),
        ("PUT", "/v1/me/player/play"),
        ("POST", "/v1/me/player/next"),
        ("POST", "/v1/me/player/previous"),
        ("PUT", "/v1/me/player/seek"),
        ("PUT", "/v1/me/player/volume"),
        ("PUT", "/v1/me/player/shuffle"),
        ("PUT", "/v1/me/player/repeat"),
    ]
    q = {p: r.query for r in spotify.fake.api_calls() for p in [r.path]}
    assert q["/v1/me/player/seek"]["position_ms"] == "90000" and q["/v1/me/player/volume"]["volume_percent"] == "35"
    assert q["/v1/me/player/shuffle"]["state"] == "true" and q["/v1/me/player/repeat"]["state"] == "context"
    state = call_tool(spotify.ctx, "player_now_playing").playing
    assert state.shuffle and state.repeat == "context" and state.device.volume_percent == 35


def test_pause_when_nothing_plays_is_a_clear_error(spotify: Spotify) -> None:
    spotify.fake.playback = None
    spotify.fake.devices[0]["is_active"] = True
    with pytest.raises(UpstreamError, match="refused pausing playback"):
        call_tool(spotify.ctx, "player_pause")


def test_queue_add_and_show(spotify: Spotify) -> None:
    call_tool(spotify.ctx, "player_play", {"what": "hey jude"})
    added = call_tool(spotify.ctx, "queue_add", {"track": f"spotify:track:{SOMETHING}"})
    assert added.added.title.startswith("Something") and "to the queue" in added.message
    assert spotify.fake.calls("POST", "/v1/me/player/queue")[0].query["uri"] == f"spotify:track:{SOMETHING}"
    assert spotify.fake.calls("GET", f"/v1/tracks/{SOMETHING}"), "the name comes from GET /tracks/{id}"
    queue = call_tool(spotify.ctx, "queue_show")
    assert queue.now_playing.id == HEY_JUDE and [t.id for t in queue.queue] == [SOMETHING]


def test_devices_list_and_transfer(spotify: Spotify) -> None:
    devices = call_tool(spotify.ctx, "devices_list")
    assert [d.name for d in devices.devices] == ["Kitchen speaker", "Laptop"]
    assert "Kitchen speaker is active" in devices.message
    moved = call_tool(spotify.ctx, "devices_transfer", {"device": "Laptop", "play": False})
    assert moved.device.name == "Laptop" and moved.device.is_active
    body = spotify.fake.calls("PUT", "/v1/me/player")[-1].body
    assert body == {"device_ids": [moved.device.id], "play": False}
    assert [d["name"] for d in spotify.fake.devices if d["is_active"]] == ["Laptop"]


def test_playlist_life_cycle_on_current_endpoints(spotify: Spotify) -> None:
    created = call_tool(spotify.ctx, "playlist_create", {"name": "Road trip", "description": "windows down"})
    assert created.backend == "spotify" and created.playlist.name == "Road trip" and created.playlist.tracks == 0
    create = spotify.fake.calls("POST", "/v1/me/playlists")[0].body
    assert create == {"name": "Road trip", "public": False, "collaborative": False, "description": "windows down"}

    added = call_tool(spotify.ctx, "playlist_add_tracks", {"playlist": "road trip", "tracks": [HEY_JUDE, SOMETHING]})
    assert added.changed == 2 and added.playlist.tracks == 2
    post = spotify.fake.calls("POST", f"/v1/playlists/{created.playlist.id}/items")[0]
    assert post.body == [f"spotify:track:{HEY_JUDE}", f"spotify:track:{SOMETHING}"]

    call_tool(
        spotify.ctx, "playlist_add_tracks", {"playlist": created.playlist.uri, "tracks": [SOMETHING], "position": 0}
    )
    items = call_tool(spotify.ctx, "playlist_items", {"playlist": created.playlist.id})
    assert [t.id for t in items.items] == [SOMETHING, HEY_JUDE, SOMETHING] and items.total == 3

    removed = call_tool(spotify.ctx, "playlist_remove_tracks", {"playlist": "Road trip", "tracks": [SOMETHING]})
    assert removed.changed == 2 and removed.playlist.tracks == 1
    delete = spotify.fake.calls("DELETE", f"/v1/playlists/{created.playlist.id}/items")[0]
    assert delete.body == {"items": [{"uri": f"spotify:track:{SOMETHING}"}]}

    listed = call_tool(spotify.ctx, "playlists_list")
    assert listed.total == 1 and listed.playlists[0].tracks == 1, "the count comes from the new `items` summary"


def test_playlists_of_others_are_refused_clearly(spotify: Spotify) -> None:
    theirs = spotify.fake.add_playlist("Someone's mix", [HEY_JUDE], owner=OTHER_USER)
    with pytest.raises(UpstreamError, match="only of playlists you own"):
        call_tool(spotify.ctx, "playlist_items", {"playlist": theirs["id"]})
    with pytest.raises(UpstreamError, match="only to playlists you own"):
        call_tool(spotify.ctx, "playlist_add_tracks", {"playlist": "someone's mix", "tracks": [SOMETHING]})


def test_an_unknown_playlist_is_refused_before_anything_is_written(spotify: Spotify) -> None:
    spotify.fake.add_playlist("Road trip")
    with pytest.raises(NotFoundError, match="no Spotify playlist called 'Gym'") as info:
        call_tool(spotify.ctx, "playlist_add_tracks", {"playlist": "Gym", "tracks": [HEY_JUDE]})
    assert "'Road trip'" in info.value.hint
    with pytest.raises(NotFoundError, match="No playlist 0000000000000000000000"):
        call_tool(
            spotify.ctx,
            "playlist_remove_tracks",
            {"playlist": "spotify:playlist:0000000000000000000000", "tracks": [HEY_JUDE]},
        )
    assert {m for m, _ in paths(spotify)} == {"GET"}, "only reads were sent"


def test_ambiguous_playlist_names(spotify: Spotify) -> None:
    spotify.fake.add_playlist("Road trip 2023")
    spotify.fake.add_playlist("Road trip 2024")
    with pytest.raises(InvalidInputError, match="matches several"):
        call_tool(spotify.ctx, "playlist_items", {"playlist": "road trip"})
    assert call_tool(spotify.ctx, "playlist_items", {"playlist": "road trip 2024"}).playlist.name == "Road trip 2024"


def test_pagination_of_playlists_items_and_saved_tracks(spotify: Spotify) -> None:
    ids = list(spotify.fake.tracks)
    for i in range(120):
        spotify.fake.add_playlist(f"List {i:03d}")
    big = spotify.fake.add_playlist("Big one", (ids * 2)[:130])
    now = datetime.now(UTC)
    spotify.fake.saved = [(t, now - timedelta(minutes=i)) for i, t in enumerate(ids[:75])]

    listed = call_tool(spotify.ctx, "playlists_list", {"limit": 200})
    assert listed.total == 121 and len(listed.playlists) == 121
    assert len(spotify.fake.calls("GET", "/v1/me/playlists")) == 3  # 50 + 50 + 21

    spotify.fake.requests.clear()
    items = call_tool(spotify.ctx, "playlist_items", {"playlist": big["id"], "limit": 500})
    assert items.total == 130 and [t.id for t in items.items] == [t for t, _ in big["entries"]]
    assert len(spotify.fake.calls("GET", f"/v1/playlists/{big['id']}/items")) == 3

    spotify.fake.requests.clear()
    saved = call_tool(spotify.ctx, "library_saved", {"limit": 60, "offset": 10})
    assert saved.total == 75 and [t.track.id for t in saved.tracks] == ids[10:70]
    pages = spotify.fake.calls("GET", "/v1/me/tracks")
    assert [r.query.get("offset") for r in pages] == ["10", "60"] and all(int(r.query["limit"]) <= 50 for r in pages)


def test_library_save_and_remove_use_me_library_in_batches_of_40(spotify: Spotify) -> None:
    ids = list(spotify.fake.tracks)[:45]
    saved = call_tool(spotify.ctx, "library_save", {"tracks": ids})
    assert saved.count == 45 and saved.backend == "spotify"
    puts = spotify.fake.calls("PUT", "/v1/me/library")
    assert [len(r.query["uris"].split(",")) for r in puts] == [40, 5]
    assert puts[0].query["uris"].startswith(f"spotify:track:{ids[0]}")
    assert len(spotify.fake.saved) == 45
    removed = call_tool(spotify.ctx, "library_remove", {"tracks": ids[:3]})
    assert removed.count == 3 and len(spotify.fake.calls("DELETE", "/v1/me/library")) == 1
    assert len(spotify.fake.saved) == 42
    listed = call_tool(spotify.ctx, "library_saved", {"limit": 5})
    assert listed.total == 42 and len(listed.tracks) == 5 and listed.tracks[0].added_at is not None


def test_top_tracks_and_artists(spotify: Spotify) -> None:
    beatles = spotify.track_ids("The Beatles")
    spotify.fake.top_tracks["short_term"] = beatles[:5]
    spotify.fake.top_artists["long_term"] = [spotify.fake.tracks[beatles[0]]["artists"][0]["id"]]
    top = call_tool(spotify.ctx, "library_top", {"time_range": "short_term", "limit": 3})
    assert [t.rank for t in top.tracks] == [1, 2, 3] and top.tracks[0].track.id == beatles[0]
    assert spotify.fake.calls("GET", "/v1/me/top/tracks")[0].query == {
        "time_range": "short_term",
        "limit": "3",
        "offset": "0",
    }
    artists = call_tool(spotify.ctx, "library_top", {"kind": "artists", "time_range": "long_term"})
    assert [a.name for a in artists.artists] == ["The Beatles"] and "last year" in artists.message


def test_recently_played_pages_with_the_before_cursor(spotify: Spotify) -> None:
    ids = list(spotify.fake.tracks)
    now = datetime.now(UTC)
    spotify.fake.recently_played = [(ids[i % len(ids)], now - timedelta(minutes=5 * i)) for i in range(10)]
    recent = call_tool(spotify.ctx, "library_recent", {"limit": 10})
    assert [p.track.id for p in recent.plays] == ids[:10]
    assert recent.plays[0].played_at > recent.plays[-1].played_at


def test_removed_endpoints_answer_like_spotify_does_now(spotify: Spotify) -> None:
    """The guard in the fixture is meaningful: the fake really refuses what Spotify removed."""
    import spotipy

    from echotune.tools.playback.spotify import spotify_api

    sp = spotify_api(spotify.ctx).sp
    for call, status in [
        (lambda: sp._get("recommendations", seed_tracks=HEY_JUDE), 404),
        (lambda: sp._get("audio-features", ids=HEY_JUDE), 403),
        (lambda: sp._get("artists/3WrFJ7ztbogyGnTHbHJFl2/related-artists"), 404),
        (lambda: sp._post("users/echotune-tester/playlists", payload={"name": "x"}), 403),
        (lambda: sp._get(f"playlists/{spotify.fake.add_playlist('x')['id']}/tracks"), 403),
        (lambda: sp._put("me/tracks", ids=HEY_JUDE), 403),
    ]:
        with pytest.raises(spotipy.SpotifyException) as info:
            call()
        assert info.value.http_status == status
    assert len(spotify.fake.removed_hits) == 6
    spotify.fake.removed_hits.clear()  # the fixture's guard is for EchoTune's own calls
