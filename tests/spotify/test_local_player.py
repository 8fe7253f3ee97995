"""The local player: time passes on the Context's clock, tracks end and the queue and context move on, plays are
recorded (source "local-player") unless history is off, and playlists, the library, top and recent work from
the store. All with no account and no network."""

from __future__ import annotations

from datetime import timedelta

import pytest

from echotune.cli import main
from echotune.tools.context import Context
from echotune.tools.errors import InvalidInputError, NotFoundError
from echotune.tools.models import Play
from echotune.tools.playback.local import MAX_CATCH_UP
from echotune.tools.registry import call_tool

HEY_JUDE = "1eT2CjXwFXNx6oY5ydvzKU"  # 3:58.854
SOMETHING = "0pNeVovbiZHkulpGeOx1Gj"  # 3:02.293
STRAWBERRY = "1J7wMZrvCtWZlXBdMM25Ce"  # 4:31.974
BEATLES_1 = "1Ye7yrA7vAlQnoooj8yDXb"


def now_playing(ctx: Context):
    return call_tool(ctx, "player_now_playing").playing


def test_play_and_time_passing(ctx: Context, clock) -> None:
    played = call_tool(ctx, "player_play", {"what": "hey jude"})
    assert played.backend == "local" and played.device == "EchoTune local"
    assert played.message == "Playing Hey Jude — The Beatles on EchoTune local. [the local player]"
    clock.advance(seconds=61)
    state = now_playing(ctx)
    assert state.is_playing and state.progress_ms == 61_000 and state.progress == "1:01 / 3:58"
    assert state.device.name == "EchoTune local" and state.device.is_active

    clock.advance(minutes=3)  # Hey Jude (3:58) is over
    assert now_playing(ctx) is None
    [play] = ctx.store.plays.list(ctx.user)
    assert play.track_id == HEY_JUDE and play.ms_played == 238_854 and not play.skipped
    assert play.source == "local-player" and play.extra["reason_end"] == "trackdone"
    assert play.played_at == clock.now - timedelta(minutes=4, seconds=1) + timedelta(milliseconds=238_854)


def test_queue_then_context(ctx: Context, clock) -> None:
    call_tool(ctx, "player_play", {"what": f"spotify:album:{BEATLES_1}"})
    album = [t.id for t in ctx.catalog.entries if t.album_id == BEATLES_1]
    assert now_playing(ctx).item.id == album[0] and now_playing(ctx).context_uri == f"spotify:album:{BEATLES_1}"
    call_tool(ctx, "queue_add", {"track": SOMETHING})
    queue = call_tool(ctx, "queue_show")
    assert [t.id for t in queue.queue] == [SOMETHING, *album[1:]]
    call_tool(ctx, "player_next")
    assert now_playing(ctx).item.id == SOMETHING
    call_tool(ctx, "player_next")
    assert now_playing(ctx).item.id == album[1], "after the queue, the album goes on"
    clock.advance(hours=1)  # the rest of the album plays out, then the player stops
    assert now_playing(ctx) is None
    plays = ctx.store.plays.list(ctx.user)
    assert [p.track_id for p in reversed(plays)] == album[1:], "skipped-at-0 tracks are not plays; the rest are"


def test_next_records_a_skip_and_previous_goes_back(ctx: Context, clock) -> None:
    call_tool(ctx, "player_play", {"uris": [HEY_JUDE, SOMETHING, STRAWBERRY]})
    clock.advance(seconds=20)
    nxt = call_tool(ctx, "player_next")
    assert nxt.state.item.id == SOMETHING and "Now: Something" in nxt.message
    [skip] = ctx.store.plays.list(ctx.user)
    assert skip.track_id == HEY_JUDE and skip.ms_played == 20_000 and skip.skipped
    assert skip.extra["reason_end"] == "fwdbtn"

    clock.advance(seconds=2)
    assert call_tool(ctx, "player_previous").state.item.id == HEY_JUDE, "within 3 s: the previous track"
    clock.advance(seconds=10)
    back = call_tool(ctx, "player_previous").state
    assert back.item.id == HEY_JUDE and back.progress_ms == 0, "after 3 s: the start of this one"
    call_tool(ctx, "player_next")
    assert now_playing(ctx).item.id == SOMETHING


def test_pause_stops_time(ctx: Context, clock) -> None:
    call_tool(ctx, "player_play", {"what": "hey jude"})
    clock.advance(seconds=30)
    paused = call_tool(ctx, "player_pause").state
    assert not paused.is_playing and paused.progress_ms == 30_000
    clock.advance(hours=2)
    assert now_playing(ctx).progress_ms == 30_000 and ctx.store.plays.count(ctx.user) == 0
    call_tool(ctx, "player_pause")  # pausing what is paused is fine
    call_tool(ctx, "player_resume")
    clock.advance(seconds=10)
    assert now_playing(ctx).progress_ms == 40_000


def test_seek(ctx: Context, clock) -> None:
    call_tool(ctx, "player_play", {"what": "hey jude"})
    assert call_tool(ctx, "player_seek", {"position": "3:00"}).state.progress_ms == 180_000
    with pytest.raises(InvalidInputError, match=r"Hey Jude — The Beatles is only 3:58 long"):
        call_tool(ctx, "player_seek", {"position": "4:10"})
    clock.advance(seconds=59)
    assert now_playing(ctx) is None
    assert ctx.store.plays.list(ctx.user)[0].ms_played == 58_854, "time listened, not the track length"


def test_repeat_and_shuffle(ctx: Context, clock) -> None:
    call_tool(ctx, "player_play", {"uris": [HEY_JUDE, SOMETHING]})
    call_tool(ctx, "player_repeat", {"state": "track"})
    clock.advance(seconds=239 * 2)
    assert now_playing(ctx).item.id == HEY_JUDE and ctx.store.plays.count(ctx.user) == 2
    call_tool(ctx, "player_repeat", {"state": "context"})
    call_tool(ctx, "player_next")
    call_tool(ctx, "player_next")
    assert now_playing(ctx).item.id == HEY_JUDE, "repeat context wraps around"
    assert now_playing(ctx).repeat == "context"

    album = [t.id for t in ctx.catalog.entries if t.album_id == BEATLES_1]
    call_tool(ctx, "player_play", {"what": f"spotify:album:{BEATLES_1}"})
    orders = set()
    for _ in range(6):
        call_tool(ctx, "player_shuffle", {"state": "on"})
        orders.add(tuple(t.id for t in call_tool(ctx, "queue_show").queue))
        call_tool(ctx, "player_shuffle", {"state": "off"})
    assert all(sorted(o[: len(album) - 1]) == sorted(album[1:]) for o in orders) and len(orders) > 1
    assert [t.id for t in call_tool(ctx, "queue_show").queue][: len(album) - 1] == album[1:], "off restores order"


def test_a_long_absence_does_not_loop_forever(ctx: Context, clock) -> None:
    call_tool(ctx, "player_play", {"what": "hey jude"})
    call_tool(ctx, "player_repeat", {"state": "track"})
    clock.advance(days=30)
    state = now_playing(ctx)
    assert state is not None and not state.is_playing
    assert ctx.store.plays.count(ctx.user) == MAX_CATCH_UP


def test_volume_devices_and_transfer(ctx: Context) -> None:
    call_tool(ctx, "player_volume", {"percent": 25})
    devices = call_tool(ctx, "devices_list")
    assert [(d.name, d.volume_percent) for d in devices.devices] == [("EchoTune local", 25)]
    assert call_tool(ctx, "devices_transfer", {"device": "echotune local"}).device.name == "EchoTune local"
    with pytest.raises(NotFoundError, match="one device") as info:
        call_tool(ctx, "player_play", {"what": "hey jude", "device": "Kitchen"})
    assert "spotify login" in info.value.hint


def test_nothing_to_control(ctx: Context) -> None:
    for name in ("player_next", "player_previous", "player_resume"):
        with pytest.raises(InvalidInputError, match="Nothing"):
            call_tool(ctx, name)
    with pytest.raises(InvalidInputError, match="Nothing"):
        call_tool(ctx, "player_seek", {"position": "10"})
    assert call_tool(ctx, "player_now_playing").message == "Nothing is playing. [the local player]"


def test_play_by_artist_and_what_the_local_catalog_cannot_do(ctx: Context) -> None:
    played = call_tool(ctx, "player_play", {"what": "queen", "kind": "artist"})
    assert played.context_uri.startswith("spotify:artist:") and "Queen" in played.playing[0].artists
    with pytest.raises(NotFoundError, match="no album titles"):
        call_tool(ctx, "player_play", {"what": "abbey road", "kind": "album"})
    with pytest.raises(NotFoundError, match="cannot play the Spotify playlist"):
        call_tool(ctx, "player_play", {"what": "spotify:playlist:37i9dQZF1DXcBWIGoYBM5M"})
    with pytest.raises(NotFoundError, match="no track 0000000000000000000000"):
        call_tool(ctx, "player_play", {"uris": ["0000000000000000000000"]})


def test_local_playlists(ctx: Context) -> None:
    created = call_tool(ctx, "playlist_create", {"name": "Road trip", "description": "windows down"}).playlist
    assert created.uri == f"echotune:playlist:{created.id}" and len(created.id) == 22 and created.tracks == 0
    call_tool(ctx, "playlist_add_tracks", {"playlist": "road trip", "tracks": [HEY_JUDE, SOMETHING]})
    call_tool(ctx, "playlist_add_tracks", {"playlist": created.uri, "tracks": [STRAWBERRY], "position": 1})
    items = call_tool(ctx, "playlist_items", {"playlist": created.id})
    assert [t.id for t in items.items] == [HEY_JUDE, STRAWBERRY, SOMETHING] and items.total == 3

    with pytest.raises(NotFoundError, match="no track 0000000000000000000000"):
        call_tool(
            ctx, "playlist_add_tracks", {"playlist": "Road trip", "tracks": [SOMETHING, "0000000000000000000000"]}
        )
    assert call_tool(ctx, "playlist_items", {"playlist": "Road trip"}).total == 3, "nothing half-written"
    with pytest.raises(NotFoundError, match="no local playlist called 'Gym'"):
        call_tool(ctx, "playlist_add_tracks", {"playlist": "Gym", "tracks": [HEY_JUDE]})

    played = call_tool(ctx, "player_play", {"what": "road trip", "kind": "playlist"})
    assert played.context_uri == created.uri and played.playing[0].id == HEY_JUDE
    removed = call_tool(ctx, "playlist_remove_tracks", {"playlist": "Road trip", "tracks": [HEY_JUDE, HEY_JUDE]})
    assert removed.changed == 1 and removed.playlist.tracks == 2
    listed = call_tool(ctx, "playlists_list")
    assert listed.total == 1 and listed.playlists[0].name == "Road trip" and listed.playlists[0].tracks == 2
    found = call_tool(ctx, "spotify_search", {"query": "road", "kind": "playlist"})
    assert [p.name for p in found.playlists] == ["Road trip"]


def test_local_library(ctx: Context, clock) -> None:
    call_tool(ctx, "library_save", {"tracks": [HEY_JUDE]})
    clock.advance(minutes=1)
    assert call_tool(ctx, "library_save", {"tracks": [SOMETHING, HEY_JUDE]}).count == 1, "already saved is not new"
    saved = call_tool(ctx, "library_saved")
    assert [t.track.id for t in saved.tracks] == [SOMETHING, HEY_JUDE] and saved.total == 2
    with pytest.raises(NotFoundError):
        call_tool(ctx, "library_save", {"tracks": ["0000000000000000000000"]})
    assert call_tool(ctx, "library_remove", {"tracks": [HEY_JUDE]}).count == 1
    assert call_tool(ctx, "library_saved").total == 1


def test_top_and_recent_from_the_store(ctx: Context, clock) -> None:
    def play(track_id: str, title: str, artist: str, days_ago: float) -> Play:
        return Play(
            user=ctx.user,
            played_at=clock.now - timedelta(days=days_ago),
            ms_played=120_000,
            track_id=track_id,
            track_uri=f"spotify:track:{track_id}",
            title=title,
            artist=artist,
        )

    ctx.store.plays.add(
        [
            play(HEY_JUDE, "Hey Jude", "The Beatles", 1),
            play(HEY_JUDE, "Hey Jude", "The Beatles", 2),
            play(SOMETHING, "Something - Remastered 2009", "The Beatles", 3),
            play(STRAWBERRY, "Strawberry Fields Forever", "The Beatles", 100),
            play(STRAWBERRY, "Strawberry Fields Forever", "The Beatles", 101),
            play(STRAWBERRY, "Strawberry Fields Forever", "The Beatles", 102),
        ]
    )
    short = call_tool(ctx, "library_top", {"time_range": "short_term"})
    assert [(t.track.id, t.plays) for t in short.tracks] == [(HEY_JUDE, 2), (SOMETHING, 1)]
    medium = call_tool(ctx, "library_top", {"time_range": "medium_term", "limit": 1})
    assert [(t.track.id, t.plays) for t in medium.tracks] == [(STRAWBERRY, 3)]
    artists = call_tool(ctx, "library_top", {"kind": "artists", "time_range": "long_term"})
    assert [(a.name, a.plays) for a in artists.artists] == [("The Beatles", 6)]
    recent = call_tool(ctx, "library_recent", {"limit": 2})
    assert [p.track.id for p in recent.plays] == [HEY_JUDE, HEY_JUDE] and recent.backend == "local"


def test_history_off_records_no_plays(ctx: Context, clock) -> None:
    call_tool(ctx, "settings_update", {"key": "privacy.store_history", "value": False})
    call_tool(ctx, "player_play", {"what": "hey jude"})
    clock.advance(minutes=5)
    assert now_playing(ctx) is None and ctx.store.plays.count(ctx.user) == 0


def test_each_user_has_their_own_player(ctx: Context) -> None:
    call_tool(ctx, "player_play", {"what": "hey jude"})
    bob = ctx.for_user("bob")
    assert call_tool(bob, "player_now_playing").playing is None
    call_tool(bob, "player_play", {"what": "bohemian rhapsody"})
    assert now_playing(ctx).item.id == HEY_JUDE
    assert call_tool(bob, "player_now_playing").playing.item.title.startswith("Bohemian Rhapsody")


def test_cli_player_commands_feel_right(ctx: Context, capsys) -> None:
    assert main(["player", "play", "hey jude"]) == 0
    out, _ = capsys.readouterr()
    assert "Playing Hey Jude — The Beatles on EchoTune local" in out and "local player" in out
    assert main(["queue", "add", "something beatles"]) == 0
    assert main(["queue", "show"]) == 0
    out, _ = capsys.readouterr()
    assert "Something" in out
    assert main(["player", "volume", "30", "--json"]) == 0
    assert '"backend": "local"' in capsys.readouterr()[0]
    assert main(["player", "shuffle", "sometimes"]) == 2
    assert main(["playlists", "create", "Road trip"]) == 0
    assert main(["playlists", "add", "Road trip", HEY_JUDE, SOMETHING]) == 0
    assert main(["playlists", "items", "Road trip", "--json"]) == 0
    assert '"total": 2' in capsys.readouterr()[0]
    assert main(["player", "--help"]) == 0
    out, _ = capsys.readouterr()
    for command in ("now", "play", "pause", "resume", "next", "previous", "seek", "volume", "shuffle", "repeat"):
        assert command in out


def test_concurrent_commands_lose_nothing(ctx: Context) -> None:
    """Two faces (the CLI and the MCP server, say) changing the same player at once: compare-and-set retries."""
    import threading

    call_tool(ctx, "player_play", {"what": "hey jude"})
    ids = [t.id for t in ctx.catalog.entries[:24]]
    errors: list[Exception] = []

    def add(chunk: list[str]) -> None:
        try:
            for track_id in chunk:
                call_tool(ctx, "queue_add", {"track": track_id})
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=add, args=(ids[i::4],)) for i in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    queued = [t.id for t in call_tool(ctx, "queue_show", {"limit": 50}).queue]
    assert sorted(queued) == sorted(ids)


def test_forgetting_history_clears_the_players_previous_tracks(ctx: Context, clock) -> None:
    from echotune.tools.derived import forget

    call_tool(ctx, "player_play", {"uris": [HEY_JUDE, SOMETHING]})
    clock.advance(seconds=30)
    call_tool(ctx, "player_next")
    assert ctx.store.player_state.get(ctx.user)[1]["history"] == [HEY_JUDE]
    assert "player.local_player_history" in forget(ctx, ctx.user)
    state = ctx.store.player_state.get(ctx.user)[1]
    assert state["history"] == [] and state["current"] == SOMETHING, "what plays now stays"
