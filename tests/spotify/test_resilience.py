"""Every fault the issue lists, scripted on the loopback Spotify: 401 then refresh, a refused refresh token,
429 with Retry-After (within and beyond the budget), QUOTA_EXCEEDED, 5xx with backoff, 403 Premium, 404 no
active device (with the offer to play on an available one), and no device at all."""

from __future__ import annotations

import json

import pytest

from echotune.cli import main
from echotune.tools.errors import (
    NotConfiguredError,
    PremiumRequiredError,
    RateLimitedError,
    UpstreamError,
)
from echotune.tools.playback.errors import NoActiveDeviceError
from echotune.tools.registry import call_tool
from tests.spotify.conftest import Spotify, token_path


def test_expired_token_is_refreshed_and_the_call_retried_once(spotify: Spotify) -> None:
    spotify.fake.expire_access_tokens()
    devices = call_tool(spotify.ctx, "devices_list")
    assert devices.backend == "spotify" and len(devices.devices) == 2
    calls = [(r.method, r.path) for r in spotify.fake.calls()]
    assert calls == [
        ("GET", "/v1/me/player/devices"),  # 401: expired
        ("POST", "/api/token"),  # refresh
        ("GET", "/v1/me/player/devices"),  # retried once, with the new token
    ]
    assert spotify.fake.calls("POST", "/api/token")[0].body["grant_type"] == "refresh_token"


def test_a_second_401_is_not_retried_again(spotify: Spotify) -> None:
    spotify.fake.fail("/v1/me/player/devices", 401, times=5)
    with pytest.raises(NotConfiguredError, match="even after refreshing") as info:
        call_tool(spotify.ctx, "devices_list")
    assert "echotune spotify login" in info.value.hint
    assert len(spotify.fake.calls("GET", "/v1/me/player/devices")) == 2
    assert len(spotify.fake.calls("POST", "/api/token")) == 1


def test_a_token_near_expiry_is_refreshed_before_the_call(spotify: Spotify) -> None:
    path = token_path(spotify.ctx)
    cached = json.loads(path.read_text())
    cached["expires_at"] = 0
    path.write_text(json.dumps(cached))
    call_tool(spotify.ctx, "devices_list")
    assert [r.path for r in spotify.fake.calls()] == ["/api/token", "/v1/me/player/devices"]


def test_a_refused_refresh_token_says_to_log_in_again(spotify: Spotify) -> None:
    """Refresh tokens expire six months after login: Spotify answers invalid_grant."""
    spotify.fake.expire_access_tokens()
    spotify.fake.revoke_refresh_tokens()
    with pytest.raises(NotConfiguredError, match="no longer accepts") as info:
        call_tool(spotify.ctx, "player_now_playing")
    assert "echotune spotify login" in info.value.hint and "six months" in info.value.message
    assert info.value.details["spotify_error"] == "invalid_grant"


def test_invalid_grant_through_the_cli_is_exit_code_5(spotify: Spotify, capsys) -> None:
    spotify.fake.expire_access_tokens()
    spotify.fake.revoke_refresh_tokens()
    code = main(["player", "now"])
    _, err = capsys.readouterr()
    assert code == 5 and "echotune spotify login" in err and "Traceback" not in err


def test_429_waits_retry_after_then_succeeds(spotify: Spotify) -> None:
    spotify.fake.fail("/v1/me/player/devices", 429, headers={"Retry-After": "2"})
    result = call_tool(spotify.ctx, "devices_list")
    assert len(result.devices) == 2
    assert spotify.sleeps == [2.0]
    assert len(spotify.fake.calls("GET", "/v1/me/player/devices")) == 2


def test_429_waits_are_bounded_then_rate_limited(spotify: Spotify) -> None:
    spotify.fake.fail("/v1/me/player/devices", 429, headers={"Retry-After": "4"}, times=10)
    with pytest.raises(RateLimitedError) as info:
        call_tool(spotify.ctx, "devices_list")
    assert spotify.sleeps == [4.0, 4.0], "a third wait would pass the 10 s budget"
    assert info.value.retry_after == 4.0 and "wait" in info.value.hint
    assert len(spotify.fake.calls("GET", "/v1/me/player/devices")) == 3


def test_a_long_retry_after_is_not_slept_and_calls_fail_fast_meanwhile(spotify: Spotify) -> None:
    spotify.fake.fail("/v1/me/player", 429, headers={"Retry-After": "3600"})
    with pytest.raises(RateLimitedError) as info:
        call_tool(spotify.ctx, "player_now_playing")
    assert info.value.retry_after == 3600 and spotify.sleeps == []
    before = len(spotify.fake.calls())
    with pytest.raises(RateLimitedError):
        call_tool(spotify.ctx, "devices_list")
    assert len(spotify.fake.calls()) == before, "no request while Spotify asked us to wait"


def test_quota_exceeded_is_a_quota_problem_without_retry_storm(spotify: Spotify, capsys) -> None:
    body = {"error": {"status": 429, "message": "Too many requests", "reason": "QUOTA_EXCEEDED"}}
    spotify.fake.fail("/v1/search", 429, body=body, headers={"Retry-After": "5"}, times=100)
    with pytest.raises(RateLimitedError, match="quota") as info:
        call_tool(spotify.ctx, "spotify_search", {"query": "hey jude"})
    assert info.value.details["reason"] == "quota_exceeded" and "extended quota" in info.value.hint
    assert len(spotify.fake.calls("GET", "/v1/search")) == 1 and spotify.sleeps == []
    for _ in range(3):  # the agent retrying, the person hammering the command: nothing reaches Spotify
        with pytest.raises(RateLimitedError, match="quota"):
            call_tool(spotify.ctx, "spotify_search", {"query": "hey jude"})
    assert len(spotify.fake.calls("GET", "/v1/search")) == 1
    assert main(["spotify", "search", "hey jude"]) == 6
    assert "quota" in capsys.readouterr()[1]


def test_5xx_is_retried_with_backoff(spotify: Spotify) -> None:
    spotify.fake.fail("/v1/me/playlists", 502, times=2)
    result = call_tool(spotify.ctx, "playlists_list")
    assert result.total == 0 and spotify.sleeps == [0.5, 1.0]


def test_5xx_retries_are_bounded(spotify: Spotify) -> None:
    spotify.fake.fail("/v1/me/playlists", 500, times=10)
    with pytest.raises(UpstreamError, match="500, 4 tries") as info:
        call_tool(spotify.ctx, "playlists_list")
    assert spotify.sleeps == [0.5, 1.0, 2.0] and "try again" in info.value.hint
    assert len(spotify.fake.calls("GET", "/v1/me/playlists")) == 4


def test_a_write_that_may_have_happened_is_not_repeated(spotify: Spotify) -> None:
    """Adding to the queue twice would queue the song twice: a 500 is reported, not retried."""
    call_tool(spotify.ctx, "player_play", {"what": "hey jude"})
    spotify.fake.fail("/v1/me/player/queue", 500, method="POST")
    with pytest.raises(UpstreamError, match="may or may not have happened"):
        call_tool(spotify.ctx, "queue_add", {"track": "bohemian rhapsody"})
    assert len(spotify.fake.calls("POST", "/v1/me/player/queue")) == 1


def test_a_503_write_is_retried_since_it_was_not_processed(spotify: Spotify) -> None:
    call_tool(spotify.ctx, "player_play", {"what": "hey jude"})
    spotify.fake.fail("/v1/me/player/queue", 503, method="POST")
    added = call_tool(spotify.ctx, "queue_add", {"track": "bohemian rhapsody"}).added
    assert added.title.startswith("Bohemian Rhapsody")
    assert spotify.fake.user_queue == [added.id] and spotify.sleeps == [0.5]


def test_premium_required(spotify: Spotify, capsys) -> None:
    spotify.fake.premium = False
    with pytest.raises(PremiumRequiredError, match="Premium") as info:
        call_tool(spotify.ctx, "player_play", {"what": "hey jude"})
    assert "local player" in info.value.hint and "playlists" in info.value.hint
    assert main(["player", "pause"]) == 7
    assert "Premium" in capsys.readouterr()[1]
    assert call_tool(spotify.ctx, "playlists_list").backend == "spotify", "non-player endpoints still work"


def test_no_active_device_offers_an_available_one(spotify: Spotify) -> None:
    spotify.fake.deactivate_devices()
    with pytest.raises(NoActiveDeviceError) as info:
        call_tool(spotify.ctx, "player_play", {"what": "hey jude"})
    err = info.value
    assert "Kitchen speaker" in err.message and "Laptop" in err.message and "--device" in err.hint
    assert err.code == "not_found" and err.details["reason"] == "no_active_device"
    offer = err.details["offer"]
    assert offer["tool"] == "player_play" and offer["question"] == "Play on Kitchen speaker (Speaker)?"
    assert offer["args"] == {"what": "hey jude", "device": "d3v1ce0000kitchen0000000000000000000001"}

    accepted = call_tool(spotify.ctx, offer["tool"], offer["args"])  # what the agent or the CLI does on "yes"
    assert accepted.device == "Kitchen speaker" and accepted.playing[0].title == "Hey Jude"
    play = spotify.fake.calls("PUT", "/v1/me/player/play")[-1]
    assert play.query["device_id"] == offer["args"]["device"]
    assert call_tool(spotify.ctx, "player_now_playing").playing.item.title == "Hey Jude"


def test_no_device_at_all(spotify: Spotify) -> None:
    spotify.fake.devices.clear()
    with pytest.raises(NoActiveDeviceError, match="No Spotify device is available") as info:
        call_tool(spotify.ctx, "player_pause")
    assert "open Spotify" in info.value.hint and "offer" not in info.value.details


def test_cli_asks_before_accepting_an_offer(spotify: Spotify, monkeypatch, capsys) -> None:
    """At a terminal the CLI asks "Play on Kitchen speaker?"; scripts and --json get the error and its offer."""
    import sys

    import typer

    spotify.fake.deactivate_devices()
    code = main(["player", "play", "hey jude", "--json"])
    out, _ = capsys.readouterr()
    assert code == 3 and json.loads(out)["details"]["offer"]["tool"] == "player_play"

    class Tty:
        def isatty(self) -> bool:
            return True

    monkeypatch.setattr(sys, "stdin", Tty())
    monkeypatch.setattr(
        sys,
        "stderr",
        type("Err", (), {"isatty": lambda s: True, "write": lambda s, x: None, "flush": lambda s: None})(),
    )
    asked: list[str] = []
    monkeypatch.setattr(typer, "confirm", lambda question, **kw: asked.append(question) or True)
    assert main(["player", "play", "hey jude"]) == 0
    assert asked == ["Play on Kitchen speaker (Speaker)?"]
    assert "Hey Jude" in capsys.readouterr()[0]


def test_unreachable_spotify(spotify: Spotify) -> None:
    spotify.fake.stop()
    with pytest.raises(UpstreamError, match="Cannot reach Spotify") as info:
        call_tool(spotify.ctx, "devices_list")
    assert "network" in info.value.hint and spotify.sleeps == [0.5, 1.0, 2.0]


def test_missing_scope_says_to_log_in_again(spotify: Spotify) -> None:
    for token in spotify.fake.access_tokens.values():
        token["scope"].discard("user-top-read")
    with pytest.raises(NotConfiguredError, match="permission") as info:
        call_tool(spotify.ctx, "library_top")
    assert "login" in info.value.hint


def test_volume_on_a_device_that_does_not_allow_it(spotify: Spotify) -> None:
    spotify.fake.devices[0]["supports_volume"] = False
    with pytest.raises(UpstreamError, match="403") as info:
        call_tool(spotify.ctx, "player_volume", {"percent": 30})
    assert info.value.details["reason"] == "VOLUME_CONTROL_DISALLOW"


def test_pausing_nowhere_lists_devices_without_an_offer(spotify: Spotify) -> None:
    spotify.fake.deactivate_devices()
    with pytest.raises(NoActiveDeviceError, match="Available: Kitchen speaker") as info:
        call_tool(spotify.ctx, "player_pause")
    assert "offer" not in info.value.details and len(info.value.details["devices"]) == 2
