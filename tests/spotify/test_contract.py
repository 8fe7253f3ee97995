"""One contract, two players: the same calls give the same kind of answer on the local player and on Spotify
(the loopback one), and every answer says which backend served it."""

from __future__ import annotations

import pytest

from echotune.tools.context import Context
from echotune.tools.errors import InvalidInputError
from echotune.tools.registry import all_tools, call_tool

HEY_JUDE = "1eT2CjXwFXNx6oY5ydvzKU"
SOMETHING = "0pNeVovbiZHkulpGeOx1Gj"
PLAYER_MODULES = ("player", "playlists", "library", "spotify")
ACTING = {
    "player_play", "player_pause", "player_resume", "player_next", "player_previous", "player_seek",
    "player_volume", "player_shuffle", "player_repeat", "queue_add", "devices_transfer", "playlist_create",
    "playlist_add_tracks", "playlist_remove_tracks", "library_save", "library_remove", "spotify_sync",
}  # fmt: skip
TOOLNAMES = ACTING | {
    "spotify_search", "player_now_playing", "queue_show", "devices_list", "playlists_list", "playlist_items",
    "library_saved", "library_top", "library_recent",
}  # fmt: skip


def mine() -> dict:
    return {n: s for n, s in all_tools().items() if s.fn.__module__.rsplit(".", 1)[-1] in PLAYER_MODULES}


def test_the_agreed_tool_names_and_effects() -> None:
    tools = mine()
    assert set(tools) == TOOLNAMES
    assert {n for n, s in tools.items() if s.effect == "act"} == ACTING
    assert all(s.effect != "destroy" for s in tools.values())
    assert all(s.open_world for s in tools.values()), "they may talk to Spotify"
    assert tools["spotify_sync"].idempotent and not tools["queue_add"].idempotent


@pytest.mark.parametrize("name", sorted(TOOLNAMES))
def test_every_answer_names_its_backend(name: str) -> None:
    schema = all_tools()[name].output_schema()
    assert schema["properties"]["backend"]["enum"] == ["spotify", "local"]
    assert "message" in schema["required"] and "backend" in schema["required"]


def test_play_queue_and_now_playing(player_ctx: Context) -> None:
    backend = player_ctx.player.backend
    played = call_tool(player_ctx, "player_play", {"what": "hey jude"})
    assert played.backend == backend and played.playing[0].id == HEY_JUDE
    call_tool(player_ctx, "queue_add", {"track": SOMETHING})
    queue = call_tool(player_ctx, "queue_show")
    assert queue.now_playing.id == HEY_JUDE and queue.queue[0].id == SOMETHING
    now = call_tool(player_ctx, "player_now_playing")
    assert now.playing.is_playing and now.playing.item.id == HEY_JUDE and now.playing.device.is_active
    call_tool(player_ctx, "player_pause")
    assert not call_tool(player_ctx, "player_now_playing").playing.is_playing
    call_tool(player_ctx, "player_next")
    assert call_tool(player_ctx, "player_now_playing").playing.item.id == SOMETHING


def test_settings_of_the_player(player_ctx: Context) -> None:
    call_tool(player_ctx, "player_play", {"uris": [HEY_JUDE, SOMETHING]})
    call_tool(player_ctx, "player_volume", {"percent": 20})
    call_tool(player_ctx, "player_repeat", {"state": "track"})
    call_tool(player_ctx, "player_shuffle", {"state": "on"})
    state = call_tool(player_ctx, "player_now_playing").playing
    assert state.repeat == "track" and state.shuffle and state.device.volume_percent == 20
    devices = call_tool(player_ctx, "devices_list").devices
    assert any(d.is_active for d in devices)


def test_playlists(player_ctx: Context) -> None:
    created = call_tool(player_ctx, "playlist_create", {"name": "Contract"}).playlist
    call_tool(player_ctx, "playlist_add_tracks", {"playlist": "contract", "tracks": [HEY_JUDE, SOMETHING]})
    items = call_tool(player_ctx, "playlist_items", {"playlist": created.id})
    assert [t.id for t in items.items] == [HEY_JUDE, SOMETHING]
    removed = call_tool(player_ctx, "playlist_remove_tracks", {"playlist": created.uri, "tracks": [HEY_JUDE]})
    assert removed.changed == 1 and removed.playlist.tracks == 1
    assert [p.name for p in call_tool(player_ctx, "playlists_list").playlists] == ["Contract"]


def test_library(player_ctx: Context) -> None:
    call_tool(player_ctx, "library_save", {"tracks": [HEY_JUDE, SOMETHING]})
    assert {t.track.id for t in call_tool(player_ctx, "library_saved").tracks} == {HEY_JUDE, SOMETHING}
    call_tool(player_ctx, "library_remove", {"tracks": [SOMETHING]})
    assert [t.track.id for t in call_tool(player_ctx, "library_saved").tracks] == [HEY_JUDE]


def test_search(player_ctx: Context) -> None:
    found = call_tool(player_ctx, "spotify_search", {"query": "hey jude"})
    assert found.tracks[0].id == HEY_JUDE and found.backend == player_ctx.player.backend


def test_bad_volume(player_ctx: Context) -> None:
    with pytest.raises(InvalidInputError, match="percent"):
        call_tool(player_ctx, "player_volume", {"percent": 150})
