"""Linking Spotify: the PKCE flow end to end against the loopback accounts service (which checks the S256
challenge), the 0600 token cache, logout, doctor, and the ways a login goes wrong."""

from __future__ import annotations

import base64
import hashlib
import json
import stat
from urllib.parse import parse_qs, urlparse

import pytest
import requests

from echotune.cli import main
from echotune.tools.errors import NotConfiguredError
from echotune.tools.playback.spotify_auth import SCOPES, linked_account, login, logout
from echotune.tools.registry import call_tool
from tests.spotify.conftest import CLIENT_ID, Spotify, browser, token_path


def test_pkce_login_end_to_end(spotify_env: Spotify) -> None:
    fake, config = spotify_env.fake, spotify_env.ctx.config
    account = login(config, browser, timeout_s=10)

    authorize = fake.calls("GET", "/authorize")[0].query
    assert authorize["client_id"] == CLIENT_ID and authorize["response_type"] == "code"
    assert authorize["redirect_uri"] == spotify_env.redirect_uri
    assert authorize["code_challenge_method"] == "S256" and authorize["state"]
    assert set(authorize["scope"].split()) == set(SCOPES)
    exchange = fake.calls("POST", "/api/token")[0].body
    assert exchange["grant_type"] == "authorization_code" and "client_secret" not in exchange
    verifier = exchange["code_verifier"]
    assert 43 <= len(verifier) <= 128
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).decode().rstrip("=")
    assert challenge == authorize["code_challenge"]

    assert account.display_name == "Echo Tester" and account.user_id == "echotune-tester"
    assert set(account.scopes) == set(SCOPES) and account.client_id == CLIENT_ID
    path = token_path(spotify_env.ctx)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    cached = json.loads(path.read_text())
    assert cached["refresh_token"].startswith("rt-") and cached["access_token"].startswith("at-")
    assert not list(path.parent.glob(".*.tmp")), "no temporary token file is left behind"
    assert spotify_env.ctx.player.backend == "spotify"


def test_the_server_refuses_a_wrong_code_verifier(spotify_env: Spotify, monkeypatch: pytest.MonkeyPatch) -> None:
    """The S256 check is real: a challenge that does not match the verifier is refused, and EchoTune says so."""
    from spotipy.oauth2 import SpotifyPKCE

    monkeypatch.setattr(SpotifyPKCE, "_get_code_challenge", lambda self: "not-the-challenge-of-the-verifier")
    with pytest.raises(NotConfiguredError, match="code_verifier was incorrect") as info:
        login(spotify_env.ctx.config, browser, timeout_s=10)
    assert "login" in info.value.hint
    assert not token_path(spotify_env.ctx).exists()


def test_a_code_cannot_be_used_twice(spotify_env: Spotify) -> None:
    login(spotify_env.ctx.config, browser, timeout_s=10)
    first = spotify_env.fake.calls("POST", "/api/token")[0].body
    again = requests.post(f"{spotify_env.fake.url}/api/token", data=first, timeout=5)
    assert again.status_code == 400 and again.json()["error"] == "invalid_grant"


def test_declined_consent(spotify_env: Spotify) -> None:
    spotify_env.fake.consent = "deny"
    with pytest.raises(NotConfiguredError, match="declined"):
        login(spotify_env.ctx.config, browser, timeout_s=10)
    assert not token_path(spotify_env.ctx).exists()


def test_a_forged_state_is_refused(spotify_env: Spotify) -> None:
    def forging_browser(url: str) -> None:
        answer = requests.get(url, allow_redirects=False, timeout=5).headers["Location"]
        requests.get(answer.replace("state=", "state=forged"), timeout=5)

    with pytest.raises(NotConfiguredError, match="state mismatch"):
        login(spotify_env.ctx.config, forging_browser, timeout_s=10)
    assert not spotify_env.fake.calls("POST", "/api/token"), "no code is exchanged for a forged answer"


def test_paste_mode_for_a_machine_without_browser(spotify_env: Spotify) -> None:
    landed: list[str] = []

    def other_machine(url: str) -> None:
        landed.append(requests.get(url, allow_redirects=False, timeout=5).headers["Location"])

    account = login(spotify_env.ctx.config, other_machine, receive="paste", read_line=lambda prompt: landed[0])
    assert account.user_id == "echotune-tester"


def test_browser_that_never_comes_back_times_out(spotify_env: Spotify) -> None:
    with pytest.raises(NotConfiguredError, match="did not redirect back"):
        login(spotify_env.ctx.config, lambda url: None, timeout_s=0.3)


@pytest.mark.parametrize(
    ("uri", "message"),
    [
        ("http://localhost:8888/callback", "localhost"),
        ("https://example.com/callback", "not a loopback"),
        ("http://127.0.0.1/callback", "not a loopback"),
    ],
)
def test_redirect_uris_spotify_refuses_are_refused_first(
    spotify_env: Spotify, monkeypatch: pytest.MonkeyPatch, uri: str, message: str
) -> None:
    from echotune.tools.config import load_config

    monkeypatch.setenv("ECHOTUNE_SPOTIFY_REDIRECT_URI", uri)
    with pytest.raises(NotConfiguredError, match=message):
        login(load_config(), browser, timeout_s=1)
    assert not spotify_env.fake.requests, "nothing was sent"


def test_login_needs_a_client_id(spotify_env: Spotify, monkeypatch: pytest.MonkeyPatch) -> None:
    from echotune.tools.config import load_config

    monkeypatch.delenv("ECHOTUNE_SPOTIFY_CLIENT_ID")
    with pytest.raises(NotConfiguredError, match="client id") as info:
        login(load_config(), browser, timeout_s=1)
    assert "ECHOTUNE_SPOTIFY_CLIENT_ID" in info.value.hint and "developer.spotify.com" in info.value.hint


def test_the_token_cache_keeps_mode_0600_across_refreshes(spotify: Spotify) -> None:
    path = token_path(spotify.ctx)
    before = json.loads(path.read_text())
    spotify.fake.expire_access_tokens()
    call_tool(spotify.ctx, "devices_list")
    after = json.loads(path.read_text())
    assert after["access_token"] != before["access_token"] and after["refresh_token"] != before["refresh_token"]
    assert after["account"] == before["account"] and after["client_id"] == CLIENT_ID, "refreshes keep the link info"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600


def test_logout_goes_back_to_the_local_player(spotify: Spotify) -> None:
    assert spotify.ctx.player.backend == "spotify"
    assert logout(spotify.ctx.config) is True
    assert not token_path(spotify.ctx).exists() and linked_account(spotify.ctx.config) is None
    assert spotify.ctx.player.backend == "local"
    assert call_tool(spotify.ctx, "devices_list").devices[0].name == "EchoTune local"
    assert logout(spotify.ctx.config) is False


def test_cli_login_logout_and_doctor(spotify_env: Spotify, capsys: pytest.CaptureFixture[str], monkeypatch) -> None:
    import webbrowser

    monkeypatch.setattr(webbrowser, "open", lambda url: browser(url) or True)  # the person's browser
    assert main(["spotify", "login", "--timeout", "10", "--json"]) == 0
    out, err = capsys.readouterr()
    assert json.loads(out)["display_name"] == "Echo Tester" and "Linked Spotify" not in err
    assert "/authorize?" in err  # the address is always printed, for when no browser opens

    assert main(["doctor", "--json"]) == 0
    check = next(c for c in json.loads(capsys.readouterr()[0])["checks"] if c["name"] == "spotify")
    assert check["status"] == "ok" and "Echo Tester" in check["detail"] and "playback uses Spotify" in check["detail"]
    assert "user-modify-playback-state" in check["detail"] and "log in again by" in check["detail"]

    assert main(["spotify", "logout"]) == 0
    assert "Unlinked Spotify" in capsys.readouterr()[1]
    assert main(["doctor", "--json"]) == 0
    check = next(c for c in json.loads(capsys.readouterr()[0])["checks"] if c["name"] == "spotify")
    assert "local player" in check["detail"]


def test_doctor_warns_about_missing_scopes(spotify: Spotify, capsys: pytest.CaptureFixture[str]) -> None:
    path = token_path(spotify.ctx)
    cached = json.loads(path.read_text())
    cached["scope"] = "user-read-playback-state"
    path.write_text(json.dumps(cached))
    assert main(["doctor", "--json"]) == 0
    check = next(c for c in json.loads(capsys.readouterr()[0])["checks"] if c["name"] == "spotify")
    assert check["status"] == "warn" and "missing scopes" in check["fix"] and "login" in check["fix"]


def test_authorize_page_rejects_an_unregistered_redirect(spotify_env: Spotify) -> None:
    """The fake is as strict as Spotify: exactly the registered loopback URI, never localhost."""
    base = f"{spotify_env.fake.url}/authorize"
    params = {"client_id": CLIENT_ID, "response_type": "code", "code_challenge_method": "S256", "code_challenge": "x"}
    for redirect in ("http://localhost:8888/callback", "http://127.0.0.1:1/other"):
        answer = requests.get(base, params={**params, "redirect_uri": redirect}, allow_redirects=False, timeout=5)
        assert answer.status_code == 400 and "redirect" in answer.text
    plain = requests.get(
        base,
        params={**params, "redirect_uri": spotify_env.redirect_uri, "code_challenge_method": "plain"},
        allow_redirects=False,
        timeout=5,
    )
    assert parse_qs(urlparse(plain.headers["Location"]).query)["error"] == ["invalid_request"]
