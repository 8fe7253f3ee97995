"""Linking a Spotify account: OAuth 2.0 Authorization Code with PKCE (no client secret on this machine).

spotipy's `SpotifyPKCE` makes the verifier and challenge, the authorize URL and the token requests; it is
pointed at the configured accounts service (`spotify_accounts_url`, a loopback server in tests). EchoTune
adds what spotipy leaves to the application:

- a loopback callback server on the registered redirect URI (127.0.0.1 or [::1] only: Spotify refuses
  `localhost` and plain-HTTP non-loopback redirects since 2025), with a timeout and a state check;
- a token cache written atomically with mode 0600 from the start (spotipy's file handler chmods after
  writing), which also remembers the client id, the linked account and when it was linked;
- a token source that never falls into spotipy's interactive prompt (a server must not wait on stdin) and
  turns a refused refresh token (`invalid_grant`: they expire six months after login) into a
  not-configured error that says to log in again.
"""

from __future__ import annotations

import contextlib
import functools
import json
import os
import secrets
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal
from urllib.parse import parse_qs, urljoin, urlparse

from pydantic import BaseModel, Field

from echotune.tools.errors import InvalidInputError, NotConfiguredError, UpstreamError

if TYPE_CHECKING:
    from spotipy.oauth2 import SpotifyPKCE

    from echotune.tools.config import Config

SCOPES = (
    "user-read-playback-state",
    "user-modify-playback-state",
    "user-read-currently-playing",
    "playlist-read-private",
    "playlist-read-collaborative",
    "playlist-modify-private",
    "playlist-modify-public",
    "user-library-read",
    "user-library-modify",
    "user-top-read",
    "user-read-recently-played",
)
"""Everything the player, playlist, library and sync tools need; nothing more."""

LOGIN_HINT = "run `echotune spotify login`"
REFRESH_TOKEN_LIFETIME_DAYS = 182
"""Spotify's refresh tokens now expire about six months after login."""
LOOPBACK_HOSTS = ("127.0.0.1", "[::1]", "::1")


class LinkedAccount(BaseModel):
    """What the token cache says about the linked account (read without any network call)."""

    user_id: str | None = Field(None, description="Spotify user id.")
    display_name: str | None = None
    scopes: list[str] = Field(default_factory=list)
    client_id: str | None = None
    linked_at: datetime | None = None
    token_path: str


def is_linked(config: Config) -> bool:
    return config.spotify_token_path.is_file()


# -- the token cache ----------------------------------------------------------------------------------


class TokenFile:
    """The token cache: spotipy's two-method cache interface over one JSON file, mode 0600, written atomically.

    Extra keys (`client_id`, `account`, `linked_at`) survive spotipy's refreshes, which save only token fields.
    """

    KEPT = ("client_id", "account", "linked_at")

    def __init__(self, path: Path):
        self.path = Path(path)

    def get_cached_token(self) -> dict[str, Any] | None:
        try:
            return json.loads(self.path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return None
        except (OSError, ValueError) as exc:
            raise NotConfiguredError(
                f"The Spotify token cache {self.path} cannot be read: {exc}", hint=f"delete it and {LOGIN_HINT}"
            ) from None

    def save_token_to_cache(self, token_info: dict[str, Any]) -> None:
        old = self.get_cached_token() or {}
        merged = {**{k: old[k] for k in self.KEPT if k in old}, **token_info}
        self.path.parent.mkdir(parents=True, exist_ok=True)
        tmp = self.path.with_name(f".{self.path.name}.{secrets.token_hex(4)}.tmp")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as fh:
                json.dump(merged, fh)
            os.chmod(tmp, 0o600)  # in case the umask or filesystem widened it
            os.replace(tmp, self.path)
        except BaseException:
            with contextlib.suppress(OSError):
                tmp.unlink()
            raise

    def update(self, **values: Any) -> None:
        self.save_token_to_cache({**(self.get_cached_token() or {}), **values})

    def delete(self) -> bool:
        try:
            self.path.unlink()
            return True
        except FileNotFoundError:
            return False


@functools.cache
def _spotipy_token_file() -> type[TokenFile]:
    from spotipy.cache_handler import CacheHandler

    return type("SpotipyTokenFile", (TokenFile, CacheHandler), {})


def token_file(config: Config) -> TokenFile:
    """A TokenFile that is also a spotipy CacheHandler (spotipy asserts the subclass)."""
    return _spotipy_token_file()(config.spotify_token_path)


def linked_account(config: Config) -> LinkedAccount | None:
    """The linked account as the cache records it, or None when no account is linked."""
    cache = TokenFile(config.spotify_token_path).get_cached_token()
    if cache is None:
        return None
    account = cache.get("account") or {}
    linked_at = cache.get("linked_at")
    return LinkedAccount(
        user_id=account.get("id"),
        display_name=account.get("display_name"),
        scopes=sorted((cache.get("scope") or "").split()),
        client_id=cache.get("client_id"),
        linked_at=datetime.fromisoformat(linked_at) if linked_at else None,
        token_path=str(config.spotify_token_path),
    )


# -- spotipy's PKCE manager, pointed at the configured accounts service -------------------------------


def client_id_of(config: Config, cache: dict[str, Any] | None = None) -> str:
    client_id = config.spotify_client_id or (cache or {}).get("client_id")
    if not client_id:
        raise NotConfiguredError(
            "No Spotify client id is configured.",
            hint="create an app at https://developer.spotify.com/dashboard, register the redirect URI "
            f"{config.spotify_redirect_uri}, then set ECHOTUNE_SPOTIFY_CLIENT_ID (or spotify_client_id in config.toml)",
        )
    return client_id


def make_pkce(config: Config, client_id: str, state: str | None = None) -> SpotifyPKCE:
    import requests
    from spotipy.oauth2 import SpotifyPKCE

    pkce = SpotifyPKCE(
        client_id=client_id,
        redirect_uri=config.spotify_redirect_uri,
        state=state,
        scope=list(SCOPES),
        requests_session=requests.Session(),
        requests_timeout=15,
        open_browser=False,
        cache_handler=token_file(config),
    )
    base = (
        config.spotify_accounts_url if config.spotify_accounts_url.endswith("/") else config.spotify_accounts_url + "/"
    )
    pkce.OAUTH_AUTHORIZE_URL = urljoin(base, "authorize")
    pkce.OAUTH_TOKEN_URL = urljoin(base, "api/token")
    return pkce


def oauth_error(exc: Exception, doing: str) -> Exception:
    """A spotipy OAuth failure as an error a person can act on."""
    error = getattr(exc, "error", None)
    description = getattr(exc, "error_description", None) or ""
    if error == "invalid_grant":
        if doing == "refresh":
            return NotConfiguredError(
                "Spotify no longer accepts EchoTune's saved login (refresh tokens expire six months after login; "
                "changing your password or removing EchoTune's access also revokes them).",
                hint=f"{LOGIN_HINT} again",
                details={"spotify_error": error, "description": description},
            )
        return NotConfiguredError(f"Spotify refused the login: {description or error}", hint=f"{LOGIN_HINT} again")
    if error in ("invalid_client", "unauthorized_client"):
        return NotConfiguredError(
            f"Spotify does not accept the client id: {description or error}",
            hint="check ECHOTUNE_SPOTIFY_CLIENT_ID against your app in the Spotify dashboard",
        )
    return UpstreamError(f"Spotify's accounts service failed during {doing}: {description or error or exc}")


class TokenSource:
    """Access tokens for spotipy's client (its `auth_manager`): from the cache, refreshed when near expiry
    or when the API says 401. Never prompts."""

    def __init__(self, config: Config):
        self.config = config
        self.cache = token_file(config)
        self.lock = threading.Lock()

    def _cached(self) -> dict[str, Any]:
        token = self.cache.get_cached_token()
        if not token or not token.get("refresh_token"):
            raise NotConfiguredError("No Spotify account is linked.", hint=LOGIN_HINT)
        return token

    def get_access_token(self, as_dict: bool = False) -> str:
        token = self._cached()
        if not token.get("access_token") or token.get("expires_at", 0) - time.time() < 60:
            token = self.refresh(stale=token.get("access_token"))
        return token["access_token"]

    def refresh(self, stale: str | None = None) -> dict[str, Any]:
        """A fresh token. `stale` is the access token that failed: if another thread already replaced it,
        that newer token is used instead of refreshing twice."""
        import requests
        from spotipy.exceptions import SpotifyOauthError

        with self.lock:
            token = self._cached()
            if token.get("access_token") != stale and token.get("expires_at", 0) - time.time() >= 60:
                return token
            pkce = make_pkce(self.config, client_id_of(self.config, token))
            try:
                return pkce.refresh_access_token(token["refresh_token"])
            except SpotifyOauthError as exc:
                raise oauth_error(exc, "refresh") from None
            except requests.RequestException as exc:
                raise UpstreamError(
                    f"Cannot reach Spotify's accounts service ({self.config.spotify_accounts_url}): {exc}",
                    hint="check the network and try again",
                ) from None


# -- login and logout ---------------------------------------------------------------------------------


def check_redirect_uri(uri: str) -> tuple[str, int, str]:
    """(host, port, path) of a loopback redirect URI; anything Spotify would refuse is refused here first."""
    parts = urlparse(uri)
    host = parts.hostname or ""
    if host == "localhost":
        raise NotConfiguredError(
            f"The redirect URI {uri} uses 'localhost', which Spotify no longer accepts.",
            hint="use a loopback address, e.g. spotify_redirect_uri = 'http://127.0.0.1:8888/callback', "
            "and register exactly that URI in your app's settings",
        )
    if parts.scheme != "http" or host not in ("127.0.0.1", "::1") or not parts.port:
        raise NotConfiguredError(
            f"The redirect URI {uri} is not a loopback address with a port.",
            hint="EchoTune receives the login on this machine: use http://127.0.0.1:<port>/<path> "
            "(or http://[::1]:<port>/<path>) and register it in your app's settings",
        )
    return host, parts.port, parts.path or "/"


class _Callback(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        server: CallbackServer = self.server  # type: ignore[assignment]
        url = urlparse(self.path)
        if url.path != server.path:
            self.send_error(404)
            return
        query = {k: v[0] for k, v in parse_qs(url.query).items()}
        ok = "code" in query and query.get("state") == server.state
        body = (
            "<h1>EchoTune is linked to Spotify</h1><p>You can close this window.</p>"
            if ok
            else "<h1>EchoTune could not link Spotify</h1><p>Go back to the terminal for the reason.</p>"
        )
        self.send_response(200)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.end_headers()
        self.wfile.write(f"<!doctype html><html><body>{body}</body></html>".encode())
        server.result = query
        server.done.set()

    def log_message(self, format: str, *args: Any) -> None:
        return


class CallbackServer(HTTPServer):
    """Receives the browser's redirect on the loopback redirect URI, in a background thread."""

    def __init__(self, host: str, port: int, path: str, state: str):
        self.path, self.state = path, state
        self.result: dict[str, str] | None = None
        self.done = threading.Event()
        if ":" in host:
            import socket

            self.address_family = socket.AF_INET6
        try:
            super().__init__((host.strip("[]"), port), _Callback)
        except OSError as exc:
            raise NotConfiguredError(
                f"Cannot listen on {host}:{port} for Spotify's redirect: {exc.strerror or exc}",
                hint="close whatever uses that port, or change spotify_redirect_uri (and the app's redirect URI)",
            ) from None
        self.thread = threading.Thread(target=self.serve_forever, kwargs={"poll_interval": 0.1}, daemon=True)
        self.thread.start()

    def wait(self, timeout_s: float) -> dict[str, str]:
        if not self.done.wait(timeout_s):
            raise NotConfiguredError(
                f"Spotify did not redirect back within {timeout_s:g} s.",
                hint=f"{LOGIN_HINT} again and approve EchoTune in the browser (or use --paste on a remote machine)",
            )
        return self.result or {}

    def close(self) -> None:
        self.shutdown()
        self.server_close()


def _code_from(query: dict[str, str], state: str) -> str:
    if query.get("error"):
        reason = query["error"]
        if reason == "access_denied":
            raise NotConfiguredError("You declined EchoTune's access on Spotify.", hint=f"{LOGIN_HINT} and approve")
        raise NotConfiguredError(f"Spotify refused the login: {reason}", hint=f"{LOGIN_HINT} again")
    if query.get("state") != state:
        raise NotConfiguredError(
            "The login answer does not belong to this login (state mismatch): it may have been forged or stale.",
            hint=f"{LOGIN_HINT} again",
        )
    if not query.get("code"):
        raise NotConfiguredError("Spotify's redirect carried no authorization code.", hint=f"{LOGIN_HINT} again")
    return query["code"]


def login(
    config: Config,
    open_url: Callable[[str], object],
    *,
    receive: Literal["loopback", "paste"] = "loopback",
    read_line: Callable[[str], str] = input,
    timeout_s: float = 300.0,
    now: Callable[[], datetime] = lambda: datetime.now(UTC),
) -> LinkedAccount:
    """Link a Spotify account: open the authorize page, receive the code on the loopback redirect URI (or from
    a pasted address), exchange it with the PKCE verifier, and record the account in the token cache."""
    import requests
    from spotipy.exceptions import SpotifyOauthError

    client_id = client_id_of(config)
    host, port, path = check_redirect_uri(config.spotify_redirect_uri)
    state = secrets.token_urlsafe(16)
    pkce = make_pkce(config, client_id, state)
    url = pkce.get_authorize_url(state)
    if receive == "paste":
        open_url(url)
        answer = urlparse(read_line("Paste the address your browser was sent to: ").strip())
        if not answer.query:
            raise InvalidInputError("That is not the address Spotify redirected to (it has no ?code=...).")
        query = {k: v[0] for k, v in parse_qs(answer.query).items()}
    else:
        server = CallbackServer(host, port, path, state)
        try:
            open_url(url)
            query = server.wait(timeout_s)
        finally:
            server.close()
    code = _code_from(query, state)
    try:
        pkce.get_access_token(code=code, check_cache=False)
    except SpotifyOauthError as exc:
        raise oauth_error(exc, "login") from None
    except requests.RequestException as exc:
        raise UpstreamError(f"Cannot reach Spotify's accounts service: {exc}") from None
    cache = token_file(config)
    cache.update(client_id=client_id, linked_at=now().isoformat())
    profile = _profile(config)
    cache.update(account={k: profile.get(k) for k in ("id", "display_name", "account_id")})
    account = linked_account(config)
    assert account is not None
    return account


def _profile(config: Config) -> dict[str, Any]:
    """GET /me with the fresh token, through the same resilient client every tool uses."""
    from echotune.tools.playback.spotify_api import SpotifyApi

    return SpotifyApi(config).call("your Spotify profile", lambda sp: sp.me()) or {}


def logout(config: Config) -> bool:
    """Forget the linked account (delete the token cache); True when there was one."""
    return TokenFile(config.spotify_token_path).delete()
