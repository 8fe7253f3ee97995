"""spotipy, made resilient: every Web API call goes through `SpotifyApi.call`, which owns the retry policy.

spotipy's own session mounts urllib3 retries that obey any `Retry-After`, however long (users report calls
hanging for hours), and hide the status behind "Max Retries". EchoTune gives spotipy a plain session and
decides itself:

- 401: refresh the access token and retry once; a refused refresh token becomes "log in again".
- 429: sleep `Retry-After` while the total stays within the budget (10 s), then a rate-limited error carrying
  the wait; until that time has passed, calls fail fast without a request (no retry storm). A 429 whose
  reason is `QUOTA_EXCEEDED` is a quota problem: reported at once, never retried.
- 5xx: bounded retries with exponential backoff; writes that are not idempotent retry only on 503 (the request
  was not processed), so a retried "add to playlist" cannot add twice.
- 403 Premium required, 404 no active device, 403 missing scope, 400: typed errors that say what to do.
"""

from __future__ import annotations

import email.utils
import logging
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, TypeVar

from echotune.tools.errors import (
    EchoTuneError,
    InvalidInputError,
    NotConfiguredError,
    NotFoundError,
    PremiumRequiredError,
    RateLimitedError,
    UpstreamError,
)
from echotune.tools.playback.errors import NoActiveDeviceError

if TYPE_CHECKING:
    import spotipy

    from echotune.tools.config import Config

T = TypeVar("T")
# spotipy logs every HTTP error at ERROR level; EchoTune reports them itself as typed errors. Without this,
# Python's last-resort handler would print them on stderr (an application that configures logging still sees them).
logging.getLogger("spotipy").addHandler(logging.NullHandler())


@dataclass
class RetryPolicy:
    """How hard to try. Tests inject `sleep` to record waits instead of spending them."""

    max_wait_s: float = 10.0
    """Total Retry-After one call may sleep; a longer wait becomes a RateLimitedError at once."""
    max_5xx_retries: int = 3
    backoff_s: float = 0.5
    """First 5xx backoff; doubles each retry (0.5, 1, 2 s)."""
    default_retry_after_s: float = 1.0
    timeout_s: float = 10.0
    sleep: Callable[[float], None] = time.sleep
    monotonic: Callable[[], float] = time.monotonic
    waits: list[float] = field(default_factory=list)
    """Every sleep taken, in seconds (for doctor, benchmarks and tests)."""


def _message(exc: Any) -> str:
    """spotipy puts "URL:\\n message" in `msg`; keep the message."""
    msg = str(getattr(exc, "msg", "") or "")
    return msg.split("\n", 1)[-1].strip() if "\n" in msg else msg.strip()


def retry_after_s(headers: Any, default: float) -> float:
    value = (headers or {}).get("Retry-After")
    if value is None:
        return default
    try:
        return max(0.0, float(value))
    except ValueError:
        when = email.utils.parsedate_to_datetime(value)
        return max(0.0, when.timestamp() - time.time()) if when else default


class SpotifyApi:
    """One spotipy client over the configured Web API URL, with the token source and the retry policy."""

    def __init__(self, config: Config, policy: RetryPolicy | None = None):
        import requests
        import spotipy

        from echotune.tools.playback.spotify_auth import TokenSource

        self.config = config
        self.policy = policy or RetryPolicy()
        self.tokens = TokenSource(config)
        self.sp = spotipy.Spotify(
            auth_manager=self.tokens,
            requests_session=requests.Session(),  # no urllib3 retries: call() decides
            requests_timeout=self.policy.timeout_s,
        )
        self.sp.prefix = (
            config.spotify_api_url if config.spotify_api_url.endswith("/") else config.spotify_api_url + "/"
        )
        self._blocked_until = 0.0
        self._blocked: RateLimitedError | None = None
        self._lock = threading.Lock()

    # -- the one call path -----------------------------------------------------------------------------
    def call(
        self,
        what: str,
        fn: Callable[[spotipy.Spotify], T],
        *,
        idempotent: bool = True,
        not_found: str | None = None,
        forbidden: str | None = None,
    ) -> T:
        """Run `fn(spotipy_client)` under the retry policy. `what` names the operation in messages
        ("pausing playback"); `not_found` / `forbidden` replace the generic 404 / 403 messages."""
        import requests
        from spotipy.exceptions import SpotifyException

        self._fail_fast()
        refreshed = False
        waited = 0.0
        server_errors = 0
        while True:
            try:
                return fn(self.sp)
            except SpotifyException as exc:
                status = exc.http_status
                if status == 401 and not refreshed:
                    refreshed = True
                    self.tokens.refresh(stale=self._current_token())
                    continue
                if status == 429:
                    delay = self._rate_limited(what, exc, waited)
                    waited += delay
                    self.policy.waits.append(delay)
                    self.policy.sleep(delay)
                    continue
                if status >= 500 and server_errors < self.policy.max_5xx_retries and (idempotent or status == 503):
                    delay = self.policy.backoff_s * 2**server_errors
                    server_errors += 1
                    self.policy.waits.append(delay)
                    self.policy.sleep(delay)
                    continue
                raise self._error(
                    what, exc, not_found=not_found, forbidden=forbidden, tries=server_errors + 1
                ) from None
            except (requests.ConnectionError, requests.Timeout) as exc:
                if idempotent and server_errors < self.policy.max_5xx_retries:
                    delay = self.policy.backoff_s * 2**server_errors
                    server_errors += 1
                    self.policy.waits.append(delay)
                    self.policy.sleep(delay)
                    continue
                raise UpstreamError(
                    f"Cannot reach Spotify ({self.sp.prefix}) while {what}: {type(exc).__name__}",
                    hint="check the network connection and try again",
                ) from None

    def _current_token(self) -> str | None:
        cached = self.tokens.cache.get_cached_token() or {}
        return cached.get("access_token")

    def _fail_fast(self) -> None:
        with self._lock:
            remaining = self._blocked_until - self.policy.monotonic()
            if self._blocked is not None and remaining > 0:
                blocked = self._blocked
                raise RateLimitedError(
                    blocked.message, retry_after=round(remaining, 1), hint=blocked.hint, details=dict(blocked.details)
                )

    def _block(self, error: RateLimitedError, seconds: float) -> RateLimitedError:
        with self._lock:
            self._blocked = error
            self._blocked_until = self.policy.monotonic() + seconds
        return error

    def _rate_limited(self, what: str, exc: Any, waited: float) -> float:
        """The wait before retrying a 429, or raise when the reason or the budget says not to wait."""
        body_reason = (getattr(exc, "reason", None) or "").upper()
        delay = retry_after_s(getattr(exc, "headers", None), self.policy.default_retry_after_s)
        if body_reason == "QUOTA_EXCEEDED":
            raise self._block(
                RateLimitedError(
                    f"Spotify's request quota for this app is used up (while {what}).",
                    retry_after=delay if "Retry-After" in (exc.headers or {}) else None,
                    hint="quotas of Development Mode apps are small and reset over time: wait, or ask Spotify for "
                    "extended quota; the local player works meanwhile (`echotune spotify logout`)",
                    details={"reason": "quota_exceeded"},
                ),
                max(delay, 60.0),
            ) from None
        if waited + delay > self.policy.max_wait_s:
            raise self._block(
                RateLimitedError(
                    f"Spotify asked EchoTune to slow down while {what} (retry after {delay:g} s).",
                    retry_after=delay,
                    hint=f"wait {delay:g} seconds and try again",
                    details={"reason": "rate_limited"},
                ),
                delay,
            ) from None
        return delay

    def _error(self, what: str, exc: Any, *, not_found: str | None, forbidden: str | None, tries: int) -> EchoTuneError:
        status, reason, msg = exc.http_status, (exc.reason or "").upper(), _message(exc)
        lower = msg.lower()
        details = {"status": status, "reason": reason or None, "spotify_message": msg or None}
        if status == 401:
            return NotConfiguredError(
                f"Spotify refused EchoTune's access token while {what}, even after refreshing it.",
                hint="run `echotune spotify login` again",
                details=details,
            )
        if status == 403:
            if reason == "PREMIUM_REQUIRED" or "premium" in lower:
                return PremiumRequiredError(
                    f"Spotify allows {what} only for Premium accounts.",
                    hint="search, playlists and your library still work; for playback without Premium use the "
                    "local player (`echotune spotify logout`)",
                    details=details,
                )
            if "scope" in lower:
                return NotConfiguredError(
                    f"EchoTune's Spotify login lacks the permission for {what}.",
                    hint="run `echotune spotify login` again to grant it",
                    details=details,
                )
            if "restriction violated" in lower:
                return UpstreamError(
                    f"Spotify's player refused {what} right now (nothing to do, or the device does not allow it).",
                    hint="check what is playing with `echotune player now`",
                    details=details,
                )
            return UpstreamError(
                forbidden or f"Spotify refused {what} (403 Forbidden{': ' + msg if msg else ''}).",
                hint="Development Mode apps work only for users added in the app's dashboard (User Management), "
                "and only with the current Web API",
                details=details,
            )
        if status == 404:
            if reason == "NO_ACTIVE_DEVICE" or "no active device" in lower:
                return NoActiveDeviceError(f"No Spotify device is active for {what}.", details=details)
            return NotFoundError(not_found or f"Spotify found nothing for {what}.", details=details)
        if status == 400:
            return InvalidInputError(f"Spotify refused {what}: {msg or 'bad request'}", details=details)
        if status >= 500:
            partial = "" if tries > 1 or status == 503 else " It may or may not have happened: check before repeating."
            return UpstreamError(
                f"Spotify failed while {what} ({status}, {tries} {'try' if tries == 1 else 'tries'}).{partial}",
                hint="Spotify is having trouble; try again in a minute",
                details=details,
            )
        return UpstreamError(f"Spotify answered {status} while {what}: {msg}", details=details)

    # -- pagination ------------------------------------------------------------------------------------
    def pages(self, what: str, first: dict[str, Any] | None, limit: int | None = None) -> Iterator[dict[str, Any]]:
        """Items of a paged answer, following `next` links until `limit` items (or the end)."""
        page, seen = first, 0
        while page:
            for item in page.get("items") or []:
                if limit is not None and seen >= limit:
                    return
                seen += 1
                yield item
            if not page.get("next") or (limit is not None and seen >= limit):
                return
            page = self.call(what, lambda sp, current=page: sp.next(current))
