"""A loopback stand-in for Spotify: the accounts service (authorize + token, PKCE checked) and the subset of
the Web API that EchoTune uses, as Spotify serves it to Development Mode apps since February 2026.

It is a real HTTP server (stdlib ThreadingHTTPServer on 127.0.0.1, a free port): spotipy is pointed at it
through EchoTune's configuration and talks HTTP to it, nothing is mocked. It keeps state (devices, playback,
queue, playlists, library, recently played, top items) and can be scripted to fail:

    fake.fail("/v1/me/player/pause", 429, headers={"Retry-After": "2"})   # next matching request, once
    fake.expire_access_tokens()      # every issued access token now answers 401 "The access token expired"
    fake.revoke_refresh_tokens()     # refresh grants answer 400 invalid_grant
    fake.premium = False             # player commands answer 403 PREMIUM_REQUIRED
    fake.deactivate_devices()        # player commands without device_id answer 404 NO_ACTIVE_DEVICE

Endpoints Spotify removed (recommendations, audio features/analysis, related artists, artist top tracks,
browse, several-ids lookups, /users/{id}/..., /playlists/{id}/tracks, PUT/DELETE /me/tracks, markets) answer
403 or 404 the way Spotify does now, and are logged in `removed_hits`, so calling one fails a test.
Every request is logged in `requests` (method, path, query, JSON body) for assertions.
"""

from __future__ import annotations

import base64
import hashlib
import json
import re
import secrets
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlencode, urlparse

USER_ID = "echotune-tester"
OTHER_USER = "someone-else"
SEARCH_MAX = 10
PAGE_MAX = 50
LIBRARY_MAX = 40
Response = tuple[int, Any, dict[str, str]]


@dataclass
class Request:
    method: str
    path: str
    query: dict[str, str]
    body: Any


@dataclass
class Fault:
    path: str
    status: int
    method: str | None = None
    headers: dict[str, str] = field(default_factory=dict)
    body: Any = None
    times: int = 1


def _error(status: int, message: str, reason: str | None = None) -> dict[str, Any]:
    err: dict[str, Any] = {"status": status, "message": message}
    if reason:
        err["reason"] = reason
    return {"error": err}


def s256(verifier: str) -> str:
    return base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).decode().rstrip("=")


def iso(when: datetime) -> str:
    return when.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


REMOVED: list[tuple[str | None, re.Pattern[str], int]] = [
    (None, re.compile(r"^/v1/recommendations(/.*)?$"), 404),
    (None, re.compile(r"^/v1/audio-features(/.*)?$"), 403),
    (None, re.compile(r"^/v1/audio-analysis(/.*)?$"), 403),
    (None, re.compile(r"^/v1/artists/[^/]+/related-artists$"), 404),
    (None, re.compile(r"^/v1/artists/[^/]+/top-tracks$"), 404),
    (None, re.compile(r"^/v1/browse(/.*)?$"), 404),
    (None, re.compile(r"^/v1/markets$"), 404),
    (None, re.compile(r"^/v1/users/[^/]+(/.*)?$"), 403),
    (None, re.compile(r"^/v1/playlists/[^/]+/tracks$"), 403),
    ("PUT", re.compile(r"^/v1/me/(tracks|albums|episodes|shows|following)$"), 403),
    ("DELETE", re.compile(r"^/v1/me/(tracks|albums|episodes|shows|following)$"), 403),
    (None, re.compile(r"^/v1/me/tracks/contains$"), 403),
    ("GET", re.compile(r"^/v1/(tracks|artists|albums)/?$"), 403),
]


class FakeSpotify:
    """The fake's state and behaviour; `start()` serves it on 127.0.0.1."""

    def __init__(
        self,
        tracks: Iterable[dict[str, Any]],
        *,
        client_id: str = "echotune-test-client",
        redirect_uris: Iterable[str] = (),
        display_name: str = "Echo Tester",
    ):
        self.client_id = client_id
        self.redirect_uris = set(redirect_uris)
        self.profile = {
            "id": USER_ID,
            "display_name": display_name,
            "account_id": "a1b2c3d4e5f6",
            "uri": f"spotify:user:{USER_ID}",
            "type": "user",
        }
        self.tracks: dict[str, dict[str, Any]] = {}
        for t in tracks:
            self.tracks[t["id"]] = t
        self.lock = threading.RLock()
        self.requests: list[Request] = []
        self.removed_hits: list[Request] = []
        self.faults: list[Fault] = []
        # accounts
        self.consent = "approve"
        self.codes: dict[str, dict[str, Any]] = {}
        self.access_tokens: dict[str, dict[str, Any]] = {}
        self.refresh_tokens: dict[str, dict[str, Any]] = {}
        self.token_lifetime_s = 3600
        # player
        self.premium = True
        self.devices: list[dict[str, Any]] = [
            self._device("d3v1ce0000kitchen0000000000000000000001", "Kitchen speaker", "Speaker", active=True),
            self._device("d3v1ce0000laptop00000000000000000000002", "Laptop", "Computer"),
        ]
        self.playback: dict[str, Any] | None = None
        self.user_queue: list[str] = []
        # library and playlists
        self.playlists: list[dict[str, Any]] = []
        self.saved: list[tuple[str, datetime]] = []
        self.recently_played: list[tuple[str, datetime]] = []
        self.top_tracks: dict[str, list[str]] = {"short_term": [], "medium_term": [], "long_term": []}
        self.top_artists: dict[str, list[str]] = {"short_term": [], "medium_term": [], "long_term": []}
        self.server: ThreadingHTTPServer | None = None

    # -- scripting -------------------------------------------------------------------------------------
    def fail(
        self,
        path: str,
        status: int,
        *,
        method: str | None = None,
        times: int = 1,
        headers: dict[str, str] | None = None,
        body: Any = None,
    ) -> None:
        """The next `times` requests whose path starts with `path` (and method matches) get this answer."""
        with self.lock:
            self.faults.append(Fault(path, status, method, headers or {}, body, times))

    def expire_access_tokens(self) -> None:
        with self.lock:
            for info in self.access_tokens.values():
                info["expired"] = True

    def revoke_refresh_tokens(self) -> None:
        with self.lock:
            self.refresh_tokens.clear()

    def deactivate_devices(self) -> None:
        with self.lock:
            for d in self.devices:
                d["is_active"] = False
            self.playback = None

    def calls(self, method: str | None = None, path: str | None = None) -> list[Request]:
        """Logged requests, optionally only those of a method and a path prefix."""
        with self.lock:
            return [
                r
                for r in self.requests
                if (method is None or r.method == method) and (path is None or r.path.startswith(path))
            ]

    def api_calls(self) -> list[Request]:
        return [r for r in self.calls() if r.path.startswith("/v1/")]

    def add_playlist(self, name: str, track_ids: Iterable[str] = (), *, owner: str = USER_ID) -> dict[str, Any]:
        with self.lock:
            pid = _new_id()
            playlist = {
                "id": pid,
                "name": name,
                "description": "",
                "public": False,
                "collaborative": False,
                "owner": owner,
                "entries": [(t, datetime.now(UTC)) for t in track_ids],
                "snapshot": 1,
            }
            self.playlists.append(playlist)
            return playlist

    def playlist_named(self, name: str) -> dict[str, Any]:
        return next(p for p in self.playlists if p["name"] == name)

    # -- serving ---------------------------------------------------------------------------------------
    @property
    def url(self) -> str:
        assert self.server is not None, "start() the fake first"
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    def start(self) -> FakeSpotify:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            disable_nagle_algorithm = True  # headers and body go out in two writes: no 40 ms delayed-ACK stall

            def do_GET(self) -> None:
                fake._serve(self, "GET")

            def do_POST(self) -> None:
                fake._serve(self, "POST")

            def do_PUT(self) -> None:
                fake._serve(self, "PUT")

            def do_DELETE(self) -> None:
                fake._serve(self, "DELETE")

            def log_message(self, format: str, *args: Any) -> None:
                return

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()
        return self

    def stop(self) -> None:
        if self.server is not None:
            self.server.shutdown()
            self.server.server_close()
            self.server = None

    def __enter__(self) -> FakeSpotify:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def _serve(self, h: BaseHTTPRequestHandler, method: str) -> None:
        url = urlparse(h.path)
        path = url.path.rstrip("/") or "/"
        query = {k: v[-1] for k, v in parse_qs(url.query, keep_blank_values=True).items()}
        length = int(h.headers.get("Content-Length") or 0)
        raw = h.rfile.read(length) if length else b""
        content_type = h.headers.get("Content-Type", "")
        body: Any = None
        if raw:
            if "application/x-www-form-urlencoded" in content_type:
                body = {k: v[-1] for k, v in parse_qs(raw.decode()).items()}
            else:
                try:
                    body = json.loads(raw)
                except ValueError:
                    body = raw.decode(errors="replace")
        request = Request(method, path, query, body)
        with self.lock:
            self.requests.append(request)
            status, payload, headers = self._route(h, request)
        self._send(h, status, payload, headers)

    def _send(self, h: BaseHTTPRequestHandler, status: int, payload: Any, headers: dict[str, str]) -> None:
        if payload is None or status == 204:
            data = b""
        elif isinstance(payload, bytes | str):
            data = payload.encode() if isinstance(payload, str) else payload
        else:
            data = json.dumps(payload).encode()
        h.send_response(status)
        if data and "Content-Type" not in headers:
            h.send_header("Content-Type", "application/json; charset=utf-8")
        for k, v in headers.items():
            h.send_header(k, v)
        h.send_header("Content-Length", str(len(data)))
        h.end_headers()
        if data:
            h.wfile.write(data)

    # -- routing ---------------------------------------------------------------------------------------
    def _route(self, h: BaseHTTPRequestHandler, r: Request) -> Response:
        for fault in self.faults:
            if fault.times > 0 and r.path.startswith(fault.path) and fault.method in (None, r.method):
                fault.times -= 1
                body = fault.body if fault.body is not None else _error(fault.status, _default_message(fault.status))
                return fault.status, body, dict(fault.headers)
        if r.path == "/authorize" and r.method == "GET":
            return self._authorize(r)
        if r.path == "/api/token" and r.method == "POST":
            return self._token(h, r)
        if not r.path.startswith("/v1/"):
            return 404, _error(404, "Service not found"), {}
        for method, pattern, status in REMOVED:
            if method in (None, r.method) and pattern.match(r.path):
                self.removed_hits.append(r)
                return status, _error(status, "Forbidden" if status == 403 else "Service not found"), {}
        auth = self._check_token(h, r)
        if auth is not None:
            return auth
        for method, pattern, handler in self._routes():
            if method == r.method and (m := pattern.match(r.path)):
                return handler(r, *m.groups())
        return 404, _error(404, "Service not found"), {}

    def _routes(self) -> list[tuple[str, re.Pattern[str], Callable[..., Response]]]:
        R = re.compile
        return [
            ("GET", R(r"^/v1/me$"), lambda r: (200, self.profile, {})),
            ("GET", R(r"^/v1/search$"), self._search),
            ("GET", R(r"^/v1/tracks/([^/]+)$"), self._get_track),
            ("GET", R(r"^/v1/me/player$"), self._get_playback),
            ("GET", R(r"^/v1/me/player/currently-playing$"), self._get_playback),
            ("PUT", R(r"^/v1/me/player$"), self._transfer),
            ("GET", R(r"^/v1/me/player/devices$"), lambda r: (200, {"devices": self.devices}, {})),
            ("PUT", R(r"^/v1/me/player/play$"), self._play),
            ("PUT", R(r"^/v1/me/player/pause$"), self._pause),
            ("POST", R(r"^/v1/me/player/next$"), self._next),
            ("POST", R(r"^/v1/me/player/previous$"), self._previous),
            ("PUT", R(r"^/v1/me/player/seek$"), self._seek),
            ("PUT", R(r"^/v1/me/player/volume$"), self._volume),
            ("PUT", R(r"^/v1/me/player/shuffle$"), self._shuffle),
            ("PUT", R(r"^/v1/me/player/repeat$"), self._repeat),
            ("GET", R(r"^/v1/me/player/queue$"), self._get_queue),
            ("POST", R(r"^/v1/me/player/queue$"), self._add_queue),
            ("GET", R(r"^/v1/me/player/recently-played$"), self._recent),
            ("GET", R(r"^/v1/me/playlists$"), self._my_playlists),
            ("POST", R(r"^/v1/me/playlists$"), self._create_playlist),
            ("GET", R(r"^/v1/playlists/([^/]+)$"), self._get_playlist),
            ("GET", R(r"^/v1/playlists/([^/]+)/items$"), self._playlist_items),
            ("POST", R(r"^/v1/playlists/([^/]+)/items$"), self._playlist_add),
            ("DELETE", R(r"^/v1/playlists/([^/]+)/items$"), self._playlist_remove),
            ("GET", R(r"^/v1/me/tracks$"), self._saved_tracks),
            ("PUT", R(r"^/v1/me/library$"), lambda r: self._library(r, save=True)),
            ("DELETE", R(r"^/v1/me/library$"), lambda r: self._library(r, save=False)),
            ("GET", R(r"^/v1/me/library/contains$"), self._library_contains),
            ("GET", R(r"^/v1/me/top/(tracks|artists)$"), self._top),
        ]

    # -- accounts --------------------------------------------------------------------------------------
    def _redirect(self, uri: str, **params: str) -> Response:
        return 302, b"", {"Location": f"{uri}?{urlencode(params)}"}

    def _authorize(self, r: Request) -> Response:
        q = r.query
        if q.get("client_id") != self.client_id:
            return 400, "INVALID_CLIENT: Invalid client", {"Content-Type": "text/plain"}
        redirect = q.get("redirect_uri", "")
        host = urlparse(redirect).hostname
        if redirect not in self.redirect_uris or host == "localhost":
            return 400, "INVALID_CLIENT: Invalid redirect URI", {"Content-Type": "text/plain"}
        state = q.get("state", "")
        if q.get("response_type") != "code":
            return self._redirect(redirect, error="unsupported_response_type", state=state)
        if q.get("code_challenge_method") != "S256" or not q.get("code_challenge"):
            return self._redirect(redirect, error="invalid_request", state=state)
        if self.consent != "approve":
            return self._redirect(redirect, error="access_denied", state=state)
        code = secrets.token_urlsafe(24)
        self.codes[code] = {
            "challenge": q["code_challenge"],
            "redirect_uri": redirect,
            "scope": q.get("scope", ""),
            "client_id": q["client_id"],
            "expires": time.monotonic() + 600,
        }
        return self._redirect(redirect, code=code, state=state)

    def _issue(self, scope: str) -> dict[str, Any]:
        access, refresh = "at-" + secrets.token_urlsafe(24), "rt-" + secrets.token_urlsafe(24)
        self.access_tokens[access] = {"scope": set(scope.split()), "expired": False}
        self.refresh_tokens[refresh] = {"scope": scope}
        return {
            "access_token": access,
            "token_type": "Bearer",
            "scope": scope,
            "expires_in": self.token_lifetime_s,
            "refresh_token": refresh,
        }

    def _token(self, h: BaseHTTPRequestHandler, r: Request) -> Response:
        form = r.body if isinstance(r.body, dict) else {}
        if h.headers.get("Authorization", "").startswith("Basic"):
            return 400, {"error": "invalid_request", "error_description": "PKCE clients send no secret"}, {}
        if form.get("client_id") != self.client_id:
            return 400, {"error": "invalid_client", "error_description": "Invalid client"}, {}
        grant = form.get("grant_type")
        if grant == "authorization_code":
            issued = self.codes.pop(form.get("code", ""), None)
            if issued is None or issued["expires"] < time.monotonic():
                return 400, {"error": "invalid_grant", "error_description": "Invalid authorization code"}, {}
            if form.get("redirect_uri") != issued["redirect_uri"]:
                return 400, {"error": "invalid_grant", "error_description": "Invalid redirect URI"}, {}
            if not form.get("code_verifier") or s256(form["code_verifier"]) != issued["challenge"]:
                return 400, {"error": "invalid_grant", "error_description": "code_verifier was incorrect"}, {}
            return 200, self._issue(issued["scope"]), {}
        if grant == "refresh_token":
            old = self.refresh_tokens.pop(form.get("refresh_token", ""), None)
            if old is None:
                return 400, {"error": "invalid_grant", "error_description": "Refresh token revoked"}, {}
            return 200, self._issue(old["scope"]), {}
        return 400, {"error": "unsupported_grant_type", "error_description": f"grant_type {grant!r}"}, {}

    SCOPES: tuple[tuple[str, str, str], ...] = (
        ("GET", "/v1/me/player/recently-played", "user-read-recently-played"),
        ("GET", "/v1/me/player", "user-read-playback-state"),
        ("PUT", "/v1/me/player", "user-modify-playback-state"),
        ("POST", "/v1/me/player", "user-modify-playback-state"),
        ("GET", "/v1/me/playlists", "playlist-read-private"),
        ("POST", "/v1/me/playlists", "playlist-modify-private"),
        ("POST", "/v1/playlists", "playlist-modify-private"),
        ("DELETE", "/v1/playlists", "playlist-modify-private"),
        ("GET", "/v1/me/tracks", "user-library-read"),
        ("GET", "/v1/me/library", "user-library-read"),
        ("PUT", "/v1/me/library", "user-library-modify"),
        ("DELETE", "/v1/me/library", "user-library-modify"),
        ("GET", "/v1/me/top", "user-top-read"),
    )

    def _check_token(self, h: BaseHTTPRequestHandler, request: Request) -> Response | None:
        header = h.headers.get("Authorization", "")
        if not header.startswith("Bearer "):
            return 401, _error(401, "No token provided"), {}
        info = self.access_tokens.get(header.removeprefix("Bearer "))
        if info is None:
            return 401, _error(401, "Invalid access token"), {}
        if info["expired"]:
            return 401, _error(401, "The access token expired"), {}
        for method, prefix, scope in self.SCOPES:
            if request.method == method and request.path.startswith(prefix):
                if scope not in info["scope"]:
                    return 403, _error(403, "Insufficient client scope"), {}
                break
        return None

    # -- objects ---------------------------------------------------------------------------------------
    def _device(self, id_: str, name: str, type_: str, active: bool = False, volume: bool = True) -> dict[str, Any]:
        return {
            "id": id_,
            "is_active": active,
            "is_private_session": False,
            "is_restricted": False,
            "name": name,
            "type": type_,
            "volume_percent": 50,
            "supports_volume": volume,
        }

    def _page(self, r: Request, items: list[Any], *, limit_max: int = PAGE_MAX, default: int = 20) -> Response:
        try:
            limit = int(r.query.get("limit", default))
            offset = int(r.query.get("offset", 0))
        except ValueError:
            return 400, _error(400, "Invalid limit"), {}
        if not 0 < limit <= limit_max or offset < 0:
            return 400, _error(400, "Invalid limit"), {}
        chunk = items[offset : offset + limit]
        base = f"{self.url}{r.path}"
        others = {k: v for k, v in r.query.items() if k not in ("limit", "offset")}

        def link(o: int) -> str:
            return f"{base}?{urlencode({**others, 'offset': o, 'limit': limit})}"

        return (
            200,
            {
                "href": link(offset),
                "items": chunk,
                "limit": limit,
                "offset": offset,
                "total": len(items),
                "next": link(offset + limit) if offset + limit < len(items) else None,
                "previous": link(max(0, offset - limit)) if offset else None,
            },
            {},
        )

    def _uri_id(self, uri: str, kind: str = "track") -> str | None:
        m = re.match(rf"^spotify:{kind}:([0-9A-Za-z]{{22}})$", uri)
        return m.group(1) if m else None

    def _artists(self) -> dict[str, dict[str, Any]]:
        out: dict[str, dict[str, Any]] = {}
        for t in self.tracks.values():
            for a in t["artists"]:
                out.setdefault(a["id"], {**a, "type": "artist", "genres": t.get("_genres", [])})
        return out

    def _albums(self) -> dict[str, dict[str, Any]]:
        out: dict[str, dict[str, Any]] = {}
        for t in self.tracks.values():
            album = t["album"]
            entry = out.setdefault(album["id"], {**album, "type": "album", "total_tracks": 0})
            entry["total_tracks"] += 1
        return out

    def _track_json(self, track_id: str) -> dict[str, Any]:
        return {k: v for k, v in self.tracks[track_id].items() if not k.startswith("_")}

    def _playlist_json(self, p: dict[str, Any], *, full: bool) -> dict[str, Any]:
        summary = {"href": f"{self.url}/v1/playlists/{p['id']}/items", "total": len(p["entries"])}
        out = {
            "id": p["id"],
            "name": p["name"],
            "description": p["description"],
            "public": p["public"],
            "collaborative": p["collaborative"],
            "owner": {"id": p["owner"], "display_name": p["owner"].title(), "type": "user"},
            "uri": f"spotify:playlist:{p['id']}",
            "href": f"{self.url}/v1/playlists/{p['id']}",
            "snapshot_id": str(p["snapshot"]),
            "images": [],
            "items": summary,
            "tracks": None,  # renamed to `items` in February 2026
            "type": "playlist",
        }
        if full and p["owner"] == USER_ID:
            out["items"] = {**summary, "items": [self._entry(t, at) for t, at in p["entries"][:100]]}
        return out

    def _entry(self, track_id: str, added: datetime) -> dict[str, Any]:
        return {
            "added_at": iso(added),
            "added_by": {"id": USER_ID},
            "is_local": False,
            "item": self._track_json(track_id),
        }

    # -- search and tracks -----------------------------------------------------------------------------
    def _search(self, r: Request) -> Response:
        q = re.sub(r"\b(track|artist|album):", "", r.query.get("q", "")).lower().split()
        kinds = [k for k in r.query.get("type", "").split(",") if k]
        if not q or not kinds or set(kinds) - {"track", "artist", "album", "playlist", "show", "episode"}:
            return 400, _error(400, "Bad search type field" if q else "No search query"), {}

        def hit(text: str) -> bool:
            return all(word in text.lower() for word in q)

        pools: dict[str, list[Any]] = {
            "track": [
                self._track_json(i)
                for i, t in self.tracks.items()
                if hit(" ".join([t["name"], t["album"]["name"], *(a["name"] for a in t["artists"])]))
            ],
            "artist": [a for a in self._artists().values() if hit(a["name"])],
            "album": [a for a in self._albums().values() if hit(a["name"])],
            "playlist": [self._playlist_json(p, full=False) for p in self.playlists if hit(p["name"])],
        }
        out = {}
        for kind in kinds:
            status, page, _ = self._page(r, pools.get(kind, []), limit_max=SEARCH_MAX, default=5)
            if status != 200:
                return status, page, {}
            if kind == "playlist":
                page["items"] = [*page["items"], None]  # Spotify pads playlist results with nulls
            out[f"{kind}s"] = page
        return 200, out, {}

    def _get_track(self, r: Request, track_id: str) -> Response:
        if track_id not in self.tracks:
            return (
                (400, _error(400, "Invalid base62 id"), {})
                if len(track_id) != 22
                else (404, _error(404, "Non existing id"), {})
            )
        return 200, self._track_json(track_id), {}

    # -- player ----------------------------------------------------------------------------------------
    def _active(self) -> dict[str, Any] | None:
        return next((d for d in self.devices if d["is_active"]), None)

    def _target(self, r: Request) -> tuple[dict[str, Any] | None, Response | None]:
        """The device a player command goes to, or the error Spotify gives."""
        if not self.premium:
            return None, (403, _error(403, "Player command failed: Premium required", "PREMIUM_REQUIRED"), {})
        wanted = r.query.get("device_id")
        if wanted:
            device = next((d for d in self.devices if d["id"] == wanted), None)
            if device is None:
                return None, (404, _error(404, "Device not found"), {})
            for d in self.devices:
                d["is_active"] = d is device
            if self.playback is not None:
                self.playback["device"] = device["id"]
            return device, None
        device = self._active()
        if device is None:
            return None, (404, _error(404, "Player command failed: No active device found", "NO_ACTIVE_DEVICE"), {})
        return device, None

    def _restricted(self) -> Response:
        return 403, _error(403, "Player command failed: Restriction violated", "UNKNOWN"), {}

    def _get_playback(self, r: Request) -> Response:
        p = self.playback
        device = self._active()
        if p is None or device is None:
            return 204, None, {}
        return (
            200,
            {
                "device": device,
                "repeat_state": p["repeat"],
                "shuffle_state": p["shuffle"],
                "context": {"uri": p["context"], "type": p["context"].split(":")[1]} if p["context"] else None,
                "timestamp": int(time.time() * 1000),
                "progress_ms": p["progress_ms"],
                "is_playing": p["is_playing"],
                "item": self._track_json(p["tracks"][p["index"]]),
                "currently_playing_type": "track",
            },
            {},
        )

    def _transfer(self, r: Request) -> Response:
        body = r.body if isinstance(r.body, dict) else {}
        ids = body.get("device_ids") or []
        if len(ids) != 1:
            return 400, _error(400, "Exactly one device id is supported"), {}
        device = next((d for d in self.devices if d["id"] == ids[0]), None)
        if device is None:
            return 404, _error(404, "Device not found"), {}
        if not self.premium:
            return 403, _error(403, "Player command failed: Premium required", "PREMIUM_REQUIRED"), {}
        for d in self.devices:
            d["is_active"] = d is device
        if self.playback is not None and body.get("play"):
            self.playback["is_playing"] = True
        return 204, None, {}

    def _context_tracks(self, uri: str) -> list[str] | None:
        kind = uri.split(":")[1] if uri.count(":") == 2 else ""
        id_ = self._uri_id(uri, kind) if kind else None
        if id_ is None:
            return None
        if kind == "album":
            return [i for i, t in self.tracks.items() if t["album"]["id"] == id_] or None
        if kind == "artist":
            return [i for i, t in self.tracks.items() if any(a["id"] == id_ for a in t["artists"])] or None
        if kind == "playlist":
            p = next((p for p in self.playlists if p["id"] == id_), None)
            return [t for t, _ in p["entries"]] if p and p["entries"] else None
        return None

    def _play(self, r: Request) -> Response:
        device, err = self._target(r)
        if err:
            return err
        body = r.body if isinstance(r.body, dict) else {}
        if not body.get("uris") and not body.get("context_uri"):
            if self.playback is None:
                return self._restricted()
            if self.playback["is_playing"]:
                return self._restricted()
            self.playback["is_playing"] = True
            return 204, None, {}
        if body.get("uris") and body.get("context_uri"):
            return 400, _error(400, "Can't have both context_uri and uris"), {}
        if body.get("uris"):
            ids = [self._uri_id(u) for u in body["uris"]]
            if any(i is None or i not in self.tracks for i in ids):
                return 400, _error(400, "Invalid track uri"), {}
            tracks, context = ids, None
        else:
            tracks, context = self._context_tracks(body["context_uri"]), body["context_uri"]
            if tracks is None:
                return 404, _error(404, "Not found."), {}
        repeat = self.playback["repeat"] if self.playback else "off"
        shuffle = self.playback["shuffle"] if self.playback else False
        self.playback = {
            "tracks": tracks,
            "index": 0,
            "context": context,
            "is_playing": True,
            "progress_ms": int(body.get("position_ms") or 0),
            "repeat": repeat,
            "shuffle": shuffle,
            "device": device["id"] if device else None,
        }
        return 204, None, {}

    def _pause(self, r: Request) -> Response:
        _, err = self._target(r)
        if err:
            return err
        if self.playback is None or not self.playback["is_playing"]:
            return self._restricted()
        self.playback["is_playing"] = False
        return 204, None, {}

    def _next(self, r: Request) -> Response:
        _, err = self._target(r)
        if err:
            return err
        p = self.playback
        if p is None:
            return self._restricted()
        if self.user_queue:
            p["tracks"].insert(p["index"] + 1, self.user_queue.pop(0))
        if p["index"] + 1 < len(p["tracks"]):
            p["index"] += 1
        elif p["repeat"] == "context":
            p["index"] = 0
        else:
            return self._restricted()
        p["progress_ms"], p["is_playing"] = 0, True
        self.recently_played.insert(0, (p["tracks"][p["index"] - 1], datetime.now(UTC)))
        return 204, None, {}

    def _previous(self, r: Request) -> Response:
        _, err = self._target(r)
        if err:
            return err
        p = self.playback
        if p is None:
            return self._restricted()
        if p["index"] > 0 and p["progress_ms"] <= 3000:
            p["index"] -= 1
        p["progress_ms"] = 0
        return 204, None, {}

    def _seek(self, r: Request) -> Response:
        _, err = self._target(r)
        if err:
            return err
        try:
            position = int(r.query["position_ms"])
        except (KeyError, ValueError):
            return 400, _error(400, "Invalid position_ms"), {}
        if self.playback is None or position < 0:
            return self._restricted()
        self.playback["progress_ms"] = position
        return 204, None, {}

    def _volume(self, r: Request) -> Response:
        device, err = self._target(r)
        if err:
            return err
        try:
            volume = int(r.query["volume_percent"])
        except (KeyError, ValueError):
            return 400, _error(400, "Invalid volume_percent"), {}
        if not 0 <= volume <= 100:
            return 400, _error(400, "Invalid volume_percent"), {}
        assert device is not None
        if not device["supports_volume"]:
            return (
                403,
                _error(403, "Player command failed: Cannot control device volume", "VOLUME_CONTROL_DISALLOW"),
                {},
            )
        device["volume_percent"] = volume
        return 204, None, {}

    def _shuffle(self, r: Request) -> Response:
        _, err = self._target(r)
        if err:
            return err
        state = r.query.get("state")
        if state not in ("true", "false"):
            return 400, _error(400, "Invalid state"), {}
        if self.playback is None:
            return self._restricted()
        self.playback["shuffle"] = state == "true"
        return 204, None, {}

    def _repeat(self, r: Request) -> Response:
        _, err = self._target(r)
        if err:
            return err
        state = r.query.get("state")
        if state not in ("track", "context", "off"):
            return 400, _error(400, "Invalid state"), {}
        if self.playback is None:
            return self._restricted()
        self.playback["repeat"] = state
        return 204, None, {}

    def _get_queue(self, r: Request) -> Response:
        p = self.playback
        current = self._track_json(p["tracks"][p["index"]]) if p else None
        upcoming = list(self.user_queue) + (p["tracks"][p["index"] + 1 :] if p else [])
        return 200, {"currently_playing": current, "queue": [self._track_json(t) for t in upcoming[:20]]}, {}

    def _add_queue(self, r: Request) -> Response:
        _, err = self._target(r)
        if err:
            return err
        track_id = self._uri_id(r.query.get("uri", ""))
        if track_id is None or track_id not in self.tracks:
            return 400, _error(400, "Invalid track uri"), {}
        if self.playback is None:
            return self._restricted()
        self.user_queue.append(track_id)
        return 204, None, {}

    def _recent(self, r: Request) -> Response:
        try:
            limit = int(r.query.get("limit", 20))
        except ValueError:
            return 400, _error(400, "Invalid limit"), {}
        if not 0 < limit <= PAGE_MAX:
            return 400, _error(400, "Invalid limit"), {}
        if "after" in r.query and "before" in r.query:
            return 400, _error(400, "Only one of after and before"), {}
        items = sorted(self.recently_played, key=lambda e: e[1], reverse=True)
        if "before" in r.query:
            before = datetime.fromtimestamp(int(r.query["before"]) / 1000, UTC)
            items = [e for e in items if e[1] < before]
        if "after" in r.query:
            after = datetime.fromtimestamp(int(r.query["after"]) / 1000, UTC)
            items = [e for e in items if e[1] > after]
        chunk = items[:limit]
        cursor_before = str(int(chunk[-1][1].timestamp() * 1000)) if chunk else None
        more = len(items) > limit
        return (
            200,
            {
                "href": f"{self.url}{r.path}?limit={limit}",
                "items": [{"track": self._track_json(t), "played_at": iso(at), "context": None} for t, at in chunk],
                "limit": limit,
                "next": f"{self.url}{r.path}?{urlencode({'before': cursor_before, 'limit': limit})}" if more else None,
                "cursors": {
                    "after": str(int(chunk[0][1].timestamp() * 1000)) if chunk else None,
                    "before": cursor_before,
                },
            },
            {},
        )

    # -- playlists -------------------------------------------------------------------------------------
    def _find(self, pid: str) -> dict[str, Any] | None:
        return next((p for p in self.playlists if p["id"] == pid), None)

    def _my_playlists(self, r: Request) -> Response:
        return self._page(r, [self._playlist_json(p, full=False) for p in self.playlists])

    def _create_playlist(self, r: Request) -> Response:
        body = r.body if isinstance(r.body, dict) else {}
        if not body.get("name"):
            return 400, _error(400, "Missing required field: name"), {}
        playlist = {
            "id": _new_id(),
            "name": body["name"],
            "description": body.get("description") or "",
            "public": bool(body.get("public", True)),
            "collaborative": bool(body.get("collaborative", False)),
            "owner": USER_ID,
            "entries": [],
            "snapshot": 1,
        }
        self.playlists.insert(0, playlist)
        return 201, self._playlist_json(playlist, full=True), {}

    def _get_playlist(self, r: Request, pid: str) -> Response:
        p = self._find(pid)
        if p is None:
            return 404, _error(404, "Resource not found"), {}
        return 200, self._playlist_json(p, full=True), {}

    def _editable(self, pid: str) -> tuple[dict[str, Any] | None, Response | None]:
        p = self._find(pid)
        if p is None:
            return None, (404, _error(404, "Resource not found"), {})
        if p["owner"] != USER_ID and not p["collaborative"]:
            return None, (403, _error(403, "Forbidden"), {})
        return p, None

    def _playlist_items(self, r: Request, pid: str) -> Response:
        p, err = self._editable(pid)
        if err:
            return err
        assert p is not None
        return self._page(r, [self._entry(t, at) for t, at in p["entries"]])

    def _playlist_add(self, r: Request, pid: str) -> Response:
        p, err = self._editable(pid)
        if err:
            return err
        assert p is not None
        body = r.body
        uris = body if isinstance(body, list) else (body or {}).get("uris") if isinstance(body, dict) else None
        if not uris and r.query.get("uris"):
            uris = r.query["uris"].split(",")
        position = r.query.get("position") or (body.get("position") if isinstance(body, dict) else None)
        if not uris or len(uris) > 100:
            return 400, _error(400, "You can add at most 100 items per request" if uris else "Missing uris"), {}
        ids = [self._uri_id(u) for u in uris]
        if any(i is None or i not in self.tracks for i in ids):
            return 400, _error(400, "Invalid track uri"), {}
        now = datetime.now(UTC)
        at = len(p["entries"]) if position is None else int(position)
        p["entries"][at:at] = [(i, now) for i in ids]
        p["snapshot"] += 1
        return 201, {"snapshot_id": str(p["snapshot"])}, {}

    def _playlist_remove(self, r: Request, pid: str) -> Response:
        p, err = self._editable(pid)
        if err:
            return err
        assert p is not None
        body = r.body if isinstance(r.body, dict) else {}
        items = body.get("items")
        if not items or len(items) > 100:
            return 400, _error(400, "Missing items" if not items else "At most 100 items"), {}
        gone = {i.get("uri") for i in items}
        p["entries"] = [(t, at) for t, at in p["entries"] if f"spotify:track:{t}" not in gone]
        p["snapshot"] += 1
        return 200, {"snapshot_id": str(p["snapshot"])}, {}

    # -- library and top -------------------------------------------------------------------------------
    def _saved_tracks(self, r: Request) -> Response:
        entries = sorted(self.saved, key=lambda e: e[1], reverse=True)
        return self._page(r, [{"added_at": iso(at), "track": self._track_json(t)} for t, at in entries])

    def _uris_param(self, r: Request) -> tuple[list[str], Response | None]:
        uris = [u for u in r.query.get("uris", "").split(",") if u]
        if not uris:
            return [], (400, {"status": 400, "message": "Missing uris"}, {})
        if len(uris) > LIBRARY_MAX:
            return [], (400, {"status": 400, "message": f"At most {LIBRARY_MAX} uris"}, {})
        if any(
            not re.match(r"^spotify:(track|album|episode|show|audiobook|artist|user|playlist):[0-9A-Za-z]+$", u)
            for u in uris
        ):
            return [], (400, {"status": 400, "message": "Invalid uri"}, {})
        return uris, None

    def _library(self, r: Request, *, save: bool) -> Response:
        uris, err = self._uris_param(r)
        if err:
            return err
        ids = [self._uri_id(u) for u in uris if u.startswith("spotify:track:")]
        if save:
            have = {t for t, _ in self.saved}
            now = datetime.now(UTC)
            for offset, i in enumerate(ids):
                if i and i in self.tracks and i not in have:
                    self.saved.append((i, now + timedelta(microseconds=offset)))
                    have.add(i)
        else:
            self.saved = [(t, at) for t, at in self.saved if t not in set(ids)]
        return 200, None, {}

    def _library_contains(self, r: Request) -> Response:
        uris, err = self._uris_param(r)
        if err:
            return err
        have = {f"spotify:track:{t}" for t, _ in self.saved}
        return 200, [u in have for u in uris], {}

    def _top(self, r: Request, kind: str) -> Response:
        time_range = r.query.get("time_range", "medium_term")
        if time_range not in self.top_tracks:
            return 400, _error(400, "Invalid time range"), {}
        if kind == "tracks":
            items = [self._track_json(t) for t in self.top_tracks[time_range]]
        else:
            artists = self._artists()
            items = [artists[a] for a in self.top_artists[time_range] if a in artists]
        return self._page(r, items)


def _default_message(status: int) -> str:
    return {
        400: "Bad request",
        401: "The access token expired",
        403: "Forbidden",
        404: "Not found",
        429: "API rate limit exceeded",
        500: "Server error",
        502: "Bad gateway",
        503: "Service unavailable",
    }.get(status, "Error")


def _new_id() -> str:
    alphabet = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
    return "".join(secrets.choice(alphabet) for _ in range(22))


def track_json(
    id_: str,
    name: str,
    artists: list[tuple[str, str]],
    *,
    album_id: str,
    album_name: str,
    year: int | None = None,
    duration_ms: int = 200_000,
    explicit: bool = False,
    genres: list[str] | None = None,
) -> dict[str, Any]:
    """A Spotify track object as the Web API returns it today (no popularity, no available_markets)."""
    artist_objs = [{"id": a, "name": n, "uri": f"spotify:artist:{a}", "type": "artist"} for a, n in artists]
    return {
        "id": id_,
        "uri": f"spotify:track:{id_}",
        "name": name,
        "type": "track",
        "is_local": False,
        "duration_ms": duration_ms,
        "explicit": explicit,
        "artists": artist_objs,
        "album": {
            "id": album_id,
            "name": album_name,
            "uri": f"spotify:album:{album_id}",
            "release_date": f"{year}-01-01" if year else "",
            "release_date_precision": "day",
            "artists": artist_objs[:1],
        },
        "_genres": genres or [],
    }
