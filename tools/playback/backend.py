"""The one player interface, and the choice between its two implementations.

`SpotifyPlayer` (spotify.py) drives a person's real Spotify through the Web API; `LocalPlayer` (local.py) plays
the catalog on "EchoTune local", keeping its state in the store, so the agent and the demo work offline. The
Context builds the right one on first use (`ctx.player`): Spotify when an account is linked, else local.
Every tool answer carries `backend` so nobody has to guess which one served it.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Literal, Protocol, TypeVar

from echotune.tools.errors import InvalidInputError
from echotune.tools.playback.models import (
    ArtistInfo,
    Backend,
    Device,
    Page,
    PlaybackState,
    PlaylistInfo,
    PlayOutcome,
    PlayTarget,
    RecentPlay,
    RepeatState,
    SavedTrack,
    SearchResults,
    TimeRange,
    TopTrack,
    TrackItem,
)
from echotune.tools.text import normalize

if TYPE_CHECKING:
    from echotune.tools.context import Context

SearchType = Literal["track", "artist", "album", "playlist"]
T = TypeVar("T")


class Player(Protocol):
    """What every backend does. Ids and uris reach it validated (tools/ids.py); `device` is an id or a name."""

    backend: Backend

    # -- search and playback ---------------------------------------------------------------------------
    def search(self, query: str, types: Sequence[SearchType], limit: int) -> SearchResults: ...
    def playback(self) -> PlaybackState | None:
        """What is playing now, or None when nothing is."""

    def play(self, target: PlayTarget, device: str | None) -> PlayOutcome: ...
    def pause(self, device: str | None) -> PlaybackState | None: ...
    def resume(self, device: str | None) -> PlaybackState | None: ...
    def next(self, device: str | None) -> PlaybackState | None: ...
    def previous(self, device: str | None) -> PlaybackState | None: ...
    def seek(self, position_ms: int, device: str | None) -> PlaybackState | None: ...
    def volume(self, percent: int, device: str | None) -> PlaybackState | None: ...
    def shuffle(self, on: bool, device: str | None) -> PlaybackState | None: ...
    def repeat(self, state: RepeatState, device: str | None) -> PlaybackState | None: ...
    def queue_add(self, target: PlayTarget, device: str | None) -> TrackItem: ...
    def queue(self, limit: int) -> tuple[TrackItem | None, list[TrackItem]]:
        """(now playing, what comes next)."""

    def devices(self) -> list[Device]: ...
    def transfer(self, device: str, play: bool) -> Device: ...

    # -- playlists -------------------------------------------------------------------------------------
    def playlists(self, limit: int, offset: int) -> Page[PlaylistInfo]: ...
    def playlist_create(self, name: str, description: str | None, public: bool) -> PlaylistInfo: ...
    def playlist_add(self, playlist: str, uris: Sequence[str], position: int | None) -> PlaylistInfo:
        """`playlist` is an id, uri, link or the name of one of the user's playlists."""

    def playlist_remove(self, playlist: str, uris: Sequence[str]) -> tuple[PlaylistInfo, int]: ...
    def playlist_items(self, playlist: str, limit: int, offset: int) -> tuple[PlaylistInfo, Page[TrackItem]]: ...

    # -- library ---------------------------------------------------------------------------------------
    def saved(self, limit: int, offset: int) -> Page[SavedTrack]: ...
    def save(self, uris: Sequence[str]) -> int: ...
    def unsave(self, uris: Sequence[str]) -> int: ...
    def top_tracks(self, time_range: TimeRange, limit: int) -> list[TopTrack]: ...
    def top_artists(self, time_range: TimeRange, limit: int) -> list[ArtistInfo]: ...
    def recent(self, limit: int) -> list[RecentPlay]: ...


def player_for(ctx: Context) -> Player:
    """Spotify when an account is linked (a token cache exists), else the local player; one per user and
    backend, shared by every view of the Context, so logging in or out switches at the next call."""
    from echotune.tools.playback.spotify_auth import is_linked

    linked = is_linked(ctx.config)
    return ctx.lazy(f"player:{ctx.user}:{'spotify' if linked else 'local'}", lambda: _open(ctx, linked))


def _open(ctx: Context, linked: bool) -> Player:
    if linked:
        from echotune.tools.playback.spotify import SpotifyPlayer

        return SpotifyPlayer(ctx)
    from echotune.tools.playback.local import LocalPlayer

    return LocalPlayer(ctx)


def name_match(items: Sequence[T], name: str, key: Callable[[T], str], what: str) -> T | None:
    """The one item whose name is `name` (exact, then prefix, then contained; case and accents ignored)."""
    wanted = normalize(name)
    for test in (lambda n: n == wanted, lambda n: n.startswith(wanted), lambda n: wanted in n):
        found = [i for i in items if test(normalize(key(i)))]
        if len(found) == 1:
            return found[0]
        if len(found) > 1:
            names = ", ".join(repr(key(i)) for i in found[:5])
            raise InvalidInputError(f"{name!r} matches several {what}: {names}", hint="give the full name or the id")
    return None
