"""Bad input (a malformed uri, a wrong kind of uri, volume 150, a bad position, too many tracks...) gives a clear
error before any request is sent: the loopback Spotify sees nothing, not even a token refresh."""

from __future__ import annotations

from typing import Any

import pytest

from echotune.cli import main
from echotune.tools.errors import InvalidInputError
from echotune.tools.ids import looks_like_ref, parse_uri, track_uri
from echotune.tools.registry import call_tool
from tests.spotify.conftest import Spotify

ID = "1eT2CjXwFXNx6oY5ydvzKU"

BAD: list[tuple[str, dict[str, Any], str]] = [
    ("player_play", {"what": "spotify:track:abc"}, "is not a Spotify track id"),
    ("player_play", {"what": "spotify:episode:1eT2CjXwFXNx6oY5ydvzKU"}, "expected a track or album"),
    ("player_play", {"what": "spotify:trak:1eT2CjXwFXNx6oY5ydvzKU"}, "not a valid Spotify uri"),
    ("player_play", {"uris": ["https://open.spotify.com/track/tooshort"]}, "is not a Spotify track id"),
    ("player_play", {"what": "hey jude", "uris": [ID]}, "either what or uris"),
    ("player_play", {"what": "hey jude", "device": "bad\x00name"}, "not a device id or name"),
    ("player_play", {"what": "x", "volume": 3}, "Extra inputs are not permitted"),
    ("player_volume", {"percent": 150}, "less than or equal to 100"),
    ("player_volume", {"percent": -1}, "greater than or equal to 0"),
    ("player_seek", {"position": "soon"}, "is not a position"),
    ("player_seek", {"position": "1:75"}, "up to 59"),
    ("player_seek", {"position": "25:00:00"}, "longer than a day"),
    ("player_shuffle", {"state": "maybe"}, "'on' or 'off'"),
    ("player_repeat", {"state": "all"}, "'off', 'track' or 'context'"),
    ("queue_add", {"track": f"spotify:album:{ID}"}, "only tracks can be queued"),
    ("queue_add", {"track": ""}, "at least 1 character"),
    ("playlist_add_tracks", {"playlist": "Road trip", "tracks": []}, "at least 1 item"),
    ("playlist_add_tracks", {"playlist": "Road trip", "tracks": ["nope!"]}, "is not a Spotify track id"),
    ("playlist_add_tracks", {"playlist": "spotify:playlist:123", "tracks": [ID]}, "is not a Spotify playlist id"),
    ("playlist_add_tracks", {"playlist": f"spotify:track:{ID}", "tracks": [ID]}, "is a Spotify track, not a playlist"),
    ("playlist_add_tracks", {"playlist": "Road trip", "tracks": [ID], "position": -1}, "greater than or equal to 0"),
    ("playlist_create", {"name": "   "}, "must not be blank"),
    ("playlist_items", {"playlist": "x", "limit": 501}, "less than or equal to 500"),
    ("library_save", {"tracks": [ID] * 101}, "at most 100 items"),
    ("library_remove", {"tracks": [f"spotify:album:{ID}"]}, "expected a track"),
    ("library_top", {"time_range": "forever"}, "short_term"),
    ("library_recent", {"limit": 51}, "less than or equal to 50"),
    ("spotify_search", {"query": "hey jude", "limit": 11}, "less than or equal to 10"),
    ("spotify_search", {"query": "  "}, "must not be blank"),
    ("devices_transfer", {"device": ""}, "at least 1 character"),
]


def test_bad_input_is_refused_before_any_request(spotify: Spotify) -> None:
    for name, args, message in BAD:
        with pytest.raises(InvalidInputError, match=message):
            call_tool(spotify.ctx, name, args)
        assert spotify.fake.requests == [], f"{name}({args}) sent {spotify.fake.requests}"


def test_cli_volume_150_is_exit_code_2_and_sends_nothing(spotify: Spotify, capsys) -> None:
    assert main(["player", "volume", "150"]) == 2
    _, err = capsys.readouterr()
    assert "percent" in err and "100" in err and "Traceback" not in err
    assert spotify.fake.requests == []


def test_ids_module() -> None:
    assert track_uri(ID) == f"spotify:track:{ID}"
    assert track_uri(f"https://open.spotify.com/intl-de/track/{ID}?si=abc") == f"spotify:track:{ID}"
    assert track_uri(f"open.spotify.com/track/{ID}") == f"spotify:track:{ID}"
    assert track_uri("local:hey-jude|the-beatles") == "local:hey-jude|the-beatles"
    assert parse_uri(f"echotune:playlist:{ID}", ("playlist",)) == ("playlist", ID)
    assert parse_uri(f"spotify:artist:{ID}", ("album", "artist")) == ("artist", ID)
    assert looks_like_ref(ID) and looks_like_ref("spotify:x") and not looks_like_ref("hey jude")
    with pytest.raises(InvalidInputError, match="not a Spotify track id") as info:
        track_uri("1eT2CjXwFXNx6oY5ydvzK")  # 21 characters
    assert "22 letters and digits" in info.value.hint
