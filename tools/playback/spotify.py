"""The Spotify backend: the player interface over the Web API as it is today, through spotipy.

Only current endpoints are called (Spotify's February 2026 Development Mode changes): playlists are created
with `POST /me/playlists` and read and changed through `/playlists/{id}/items` (entries carry `item`, the old
`track` is deprecated), the library is changed with `PUT/DELETE /me/library` (at most 40 uris a call), search
returns at most 10 per type, and no recommendations, audio features, related artists or browse endpoints are
used (EchoTune's own recommender replaces them). spotipy has all of these as methods in 2.26; where a future
endpoint is missing, `api.sp._get/_put/_post/_delete` are the low-level way in.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any

from echotune.tools.errors import NotFoundError, UpstreamError
from echotune.tools.ids import looks_like_ref, parse_ref
from echotune.tools.models import ArtistRef, Track
from echotune.tools.playback.backend import SearchType, name_match
from echotune.tools.playback.errors import NoActiveDeviceError
from echotune.tools.playback.models import (
    AlbumInfo,
    ArtistInfo,
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
from echotune.tools.playback.spotify_api import RetryPolicy, SpotifyApi

if TYPE_CHECKING:
    from echotune.tools.context import Context

PAGE = 50
"""The largest page Spotify serves for playlists, playlist items, saved tracks and top items."""
LIBRARY_BATCH = 40
"""PUT/DELETE /me/library take at most 40 uris."""
PLAYLIST_BATCH = 100
MAX_OWN_PLAYLISTS = 2000
"""How many of a person's playlists are looked through to resolve a name or id."""


def spotify_api(ctx: Context) -> SpotifyApi:
    """The installation's one Spotify client (shared by every user view of the Context)."""
    return ctx.lazy("spotify.api", lambda: SpotifyApi(ctx.config, ctx.lazy("spotify.retry_policy", RetryPolicy)))


# -- Spotify JSON -> EchoTune models --------------------------------------------------------------------


def track_item(obj: dict[str, Any] | None) -> TrackItem | None:
    if not obj:
        return None
    artists = ", ".join(a.get("name", "") for a in obj.get("artists") or []) or (obj.get("show") or {}).get("name", "")
    return TrackItem(
        id=obj.get("id") or obj.get("uri") or "",
        uri=obj.get("uri"),
        title=obj.get("name") or "",
        artists=artists,
        album=(obj.get("album") or {}).get("name"),
        duration_ms=obj.get("duration_ms"),
        explicit=bool(obj.get("explicit")),
    )


def catalog_track(obj: dict[str, Any]) -> Track | None:
    """A Spotify track object as a catalog Track (source "spotify"); None for local files and episodes."""
    if not obj or obj.get("type", "track") != "track" or not obj.get("id"):
        return None
    album = obj.get("album") or {}
    year = (album.get("release_date") or "")[:4]
    return Track(
        id=obj["id"],
        uri=obj.get("uri") or f"spotify:track:{obj['id']}",
        title=obj.get("name") or "",
        artists=[ArtistRef(id=a.get("id"), name=a.get("name", "")) for a in obj.get("artists") or []],
        album_id=album.get("id"),
        year=int(year) if year.isdigit() else None,
        explicit=bool(obj.get("explicit")),
        duration_ms=obj.get("duration_ms"),
        source="spotify",
    )


def device(obj: dict[str, Any]) -> Device:
    return Device(
        id=obj.get("id") or "",
        name=obj.get("name") or "",
        type=obj.get("type") or "Unknown",
        is_active=bool(obj.get("is_active")),
        is_restricted=bool(obj.get("is_restricted")),
        volume_percent=obj.get("volume_percent"),
        supports_volume=obj.get("supports_volume", True),
    )


def playback_state(obj: dict[str, Any] | None) -> PlaybackState | None:
    if not obj:
        return None
    return PlaybackState(
        is_playing=bool(obj.get("is_playing")),
        item=track_item(obj.get("item")),
        progress_ms=obj.get("progress_ms"),
        device=device(obj["device"]) if obj.get("device") else None,
        shuffle=bool(obj.get("shuffle_state")),
        repeat=obj.get("repeat_state") or "off",
        context_uri=(obj.get("context") or {}).get("uri"),
    )


def playlist_info(obj: dict[str, Any]) -> PlaylistInfo:
    # Since February 2026 the item count is under `items` (a {href, total} summary); `tracks` is the old name.
    summary = obj.get("items") if isinstance(obj.get("items"), dict) else None
    summary = summary or (obj.get("tracks") if isinstance(obj.get("tracks"), dict) else None) or {}
    owner = obj.get("owner") or {}
    return PlaylistInfo(
        id=obj["id"],
        uri=obj.get("uri") or f"spotify:playlist:{obj['id']}",
        name=obj.get("name") or "",
        description=obj.get("description") or None,
        owner=owner.get("display_name") or owner.get("id"),
        public=obj.get("public"),
        tracks=summary.get("total"),
    )


def _first_artist(obj: dict[str, Any]) -> ArtistInfo:
    return ArtistInfo(id=obj.get("id"), uri=obj.get("uri"), name=obj.get("name") or "", genres=obj.get("genres") or [])


def _album(obj: dict[str, Any]) -> AlbumInfo:
    year = (obj.get("release_date") or "")[:4]
    return AlbumInfo(
        id=obj["id"],
        uri=obj.get("uri") or f"spotify:album:{obj['id']}",
        name=obj.get("name") or "",
        artists=", ".join(a.get("name", "") for a in obj.get("artists") or []),
        year=int(year) if year.isdigit() else None,
        tracks=obj.get("total_tracks"),
    )


def parse_time(value: str) -> datetime:
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


def _chunks(values: Sequence[str], size: int) -> list[list[str]]:
    return [list(values[i : i + size]) for i in range(0, len(values), size)]


class SpotifyPlayer:
    """The player interface over a linked Spotify account."""

    backend = "spotify"

    def __init__(self, ctx: Context):
        self.ctx = ctx
        self.api = spotify_api(ctx)

    # -- devices ---------------------------------------------------------------------------------------
    def devices(self) -> list[Device]:
        found = self.api.call("listing your devices", lambda sp: sp.devices()) or {}
        return [device(d) for d in found.get("devices") or []]

    def _device(self, ref: str | None) -> Device | None:
        if ref is None:
            return None
        devices = self.devices()
        for d in devices:
            if d.id == ref:
                return d
        found = name_match(devices, ref, lambda d: d.name, "devices")
        if found is None:
            names = ", ".join(f"{d.name!r}" for d in devices) or "none (open Spotify on a phone, computer or speaker)"
            raise NotFoundError(f"No Spotify device called {ref!r}", hint=f"available devices: {names}")
        return found

    def _command(self, what: str, fn: Callable[[Any], Any], *, idempotent: bool = True) -> Any:
        """A player command; a 404 "no active device" becomes an error that lists where it could play."""
        try:
            return self.api.call(what, fn, idempotent=idempotent)
        except NoActiveDeviceError as exc:
            available = [d for d in self.devices() if not d.is_restricted]
            if not available:
                raise NoActiveDeviceError(
                    f"No Spotify device is available for {what}.",
                    hint="open Spotify on your phone, computer or speaker (it then shows in `echotune devices list`) "
                    "and try again",
                    devices=[],
                    details=exc.details,
                ) from None
            names = ", ".join(f"{d.name} ({d.type})" for d in available)
            first = available[0]
            raise NoActiveDeviceError(
                f"Nothing is playing on your Spotify devices, so Spotify does not know where to do {what}. "
                f"Available: {names}.",
                hint=f'play there: add --device "{first.name}", or run `echotune devices transfer "{first.name}"`',
                devices=[d.model_dump() for d in available],
                details=exc.details,
            ) from None

    def transfer(self, device: str, play: bool) -> Device:
        target = self._device(device)
        assert target is not None
        self.api.call(f"moving playback to {target.name}", lambda sp: sp.transfer_playback(target.id, force_play=play))
        return target.model_copy(update={"is_active": True})

    # -- search and resolution -------------------------------------------------------------------------
    def search(self, query: str, types: Sequence[SearchType], limit: int) -> SearchResults:
        found = (
            self.api.call(
                f"searching for {query!r}",
                lambda sp: sp.search(q=query, limit=limit, type=",".join(types), market="from_token"),
            )
            or {}
        )

        def items(key: str) -> list[dict[str, Any]]:
            return [i for i in (found.get(key) or {}).get("items") or [] if i]  # Spotify pads with nulls

        return SearchResults(
            tracks=[t for t in map(track_item, items("tracks")) if t],
            artists=[_first_artist(a) for a in items("artists")],
            albums=[_album(a) for a in items("albums")],
            playlists=[playlist_info(p) for p in items("playlists")],
        )

    def _resolve(self, target: PlayTarget) -> tuple[list[str], str | None, list[TrackItem]]:
        """(track uris, context uri, tracks known by name) for a play or queue target."""
        if target.uris or target.context_uri:
            return list(target.uris), target.context_uri, []
        assert target.query is not None
        if target.query_kind == "playlist":
            mine = self._own_playlists()
            own = name_match(mine, target.query, lambda p: p.name, "of your playlists")
            if own:
                return [], own.uri, []
        found = self.search(target.query, [target.query_kind], 1)
        if target.query_kind == "track" and found.tracks:
            return [found.tracks[0].uri or ""], None, [found.tracks[0]]
        hits = {"album": found.albums, "artist": found.artists, "playlist": found.playlists}.get(target.query_kind)
        if hits and hits[0].uri:
            return [], hits[0].uri, []
        raise NotFoundError(
            f"Spotify has no {target.query_kind} matching {target.query!r}", hint="try other words, or a uri or link"
        )

    # -- playback --------------------------------------------------------------------------------------
    def playback(self) -> PlaybackState | None:
        return playback_state(self.api.call("reading what is playing", lambda sp: sp.current_playback()))

    def play(self, target: PlayTarget, device: str | None) -> PlayOutcome:
        dev = self._device(device)
        dev_id = dev.id if dev else None
        if target.is_resume:
            self._command("resuming playback", lambda sp: sp.start_playback(device_id=dev_id))
            return PlayOutcome(device=dev.name if dev else None)
        uris, context, known = self._resolve(target)
        self._command(
            "starting playback",
            lambda sp: sp.start_playback(device_id=dev_id, uris=uris or None, context_uri=context),
        )
        return PlayOutcome(playing=known, context=context, device=dev.name if dev else None)

    def _player(
        self,
        what: str,
        fn: Callable[[Any, str | None], Any],
        device: str | None,
        settled: Callable[[PlaybackState | None], bool] | None = None,
    ) -> None:
        """A player command on the chosen (or active) device. When Spotify refuses it as a restriction and
        `settled` says the player is already where the command would take it (pausing what is paused), that
        is success, not an error."""
        dev = self._device(device)
        try:
            self._command(what, lambda sp: fn(sp, dev.id if dev else None))
        except UpstreamError as exc:
            if settled is None or exc.details.get("status") != 403 or not settled(self.playback()):
                raise

    def pause(self, device: str | None) -> PlaybackState | None:
        self._player(
            "pausing playback",
            lambda sp, d: sp.pause_playback(device_id=d),
            device,
            settled=lambda s: s is not None and not s.is_playing,
        )
        return None

    def resume(self, device: str | None) -> PlaybackState | None:
        self._player(
            "resuming playback",
            lambda sp, d: sp.start_playback(device_id=d),
            device,
            settled=lambda s: s is not None and s.is_playing,
        )
        return None

    def next(self, device: str | None) -> PlaybackState | None:
        self._player("skipping to the next track", lambda sp, d: sp.next_track(device_id=d), device)
        return None

    def previous(self, device: str | None) -> PlaybackState | None:
        self._player("going back a track", lambda sp, d: sp.previous_track(device_id=d), device)
        return None

    def seek(self, position_ms: int, device: str | None) -> PlaybackState | None:
        self._player("seeking", lambda sp, d: sp.seek_track(position_ms, device_id=d), device)
        return None

    def volume(self, percent: int, device: str | None) -> PlaybackState | None:
        self._player("changing the volume", lambda sp, d: sp.volume(percent, device_id=d), device)
        return None

    def shuffle(self, on: bool, device: str | None) -> PlaybackState | None:
        self._player("changing shuffle", lambda sp, d: sp.shuffle(on, device_id=d), device)
        return None

    def repeat(self, state: RepeatState, device: str | None) -> PlaybackState | None:
        self._player("changing repeat", lambda sp, d: sp.repeat(state, device_id=d), device)
        return None

    def queue_add(self, target: PlayTarget, device: str | None) -> TrackItem:
        dev = self._device(device)
        uris, _, known = self._resolve(target)
        uri = uris[0]
        self._command(
            "adding to the queue",
            lambda sp: sp.add_to_queue(uri, device_id=dev.id if dev else None),
            idempotent=False,
        )
        if known:
            return known[0]
        found = self.api.call("reading the track", lambda sp: sp.track(uri), not_found=f"Spotify has no track {uri}")
        item = track_item(found)
        assert item is not None
        return item

    def queue(self, limit: int) -> tuple[TrackItem | None, list[TrackItem]]:
        found = self.api.call("reading the queue", lambda sp: sp.queue()) or {}
        upcoming = [t for t in map(track_item, found.get("queue") or []) if t]
        return track_item(found.get("currently_playing")), upcoming[:limit]

    # -- playlists -------------------------------------------------------------------------------------
    def playlists(self, limit: int, offset: int) -> Page[PlaylistInfo]:
        first = self.api.call(
            "listing your playlists", lambda sp: sp.current_user_playlists(limit=min(PAGE, limit), offset=offset)
        )
        items = [playlist_info(p) for p in self.api.pages("listing your playlists", first, limit) if p]
        return Page(items=items, total=(first or {}).get("total", len(items)))

    def _own_playlists(self) -> list[PlaylistInfo]:
        return self.playlists(MAX_OWN_PLAYLISTS, 0).items

    def _playlist(self, ref: str) -> PlaylistInfo:
        """One of the person's playlists by id, uri, link or name, checked before anything is sent to it."""
        mine = self._own_playlists()
        if looks_like_ref(ref):
            wanted = parse_ref(ref, "playlist")
            for p in mine:
                if p.id == wanted:
                    return p
            raise NotFoundError(
                f"No playlist {wanted} among your Spotify playlists",
                hint="list them with `echotune playlists list` (Spotify lets apps change and read the items only "
                "of playlists you own or collaborate on)",
            )
        found = name_match(mine, ref, lambda p: p.name, "of your playlists")
        if found is None:
            names = ", ".join(repr(p.name) for p in mine[:8]) or "none yet"
            raise NotFoundError(
                f"You have no Spotify playlist called {ref!r}",
                hint=f"your playlists: {names}; create one with `echotune playlists create`",
            )
        return found

    def playlist_create(self, name: str, description: str | None, public: bool) -> PlaylistInfo:
        created = self.api.call(
            f"creating the playlist {name!r}",
            lambda sp: sp.current_user_playlist_create(name, public=public, description=description or ""),
            idempotent=False,
        )
        return playlist_info(created)

    def playlist_add(self, playlist: str, uris: Sequence[str], position: int | None) -> PlaylistInfo:
        target = self._playlist(playlist)
        for i, chunk in enumerate(_chunks(uris, PLAYLIST_BATCH)):
            at = None if position is None else position + i * PLAYLIST_BATCH
            self.api.call(
                f"adding tracks to {target.name!r}",
                lambda sp, chunk=chunk, at=at: sp.playlist_add_items(target.id, chunk, position=at),
                idempotent=False,
                forbidden=f"Spotify lets you add only to playlists you own or collaborate on ({target.name!r} is not).",
            )
        return target.model_copy(update={"tracks": (target.tracks or 0) + len(uris)})

    def playlist_remove(self, playlist: str, uris: Sequence[str]) -> tuple[PlaylistInfo, int]:
        target = self._playlist(playlist)
        for chunk in _chunks(list(dict.fromkeys(uris)), PLAYLIST_BATCH):
            self.api.call(
                f"removing tracks from {target.name!r}",
                lambda sp, chunk=chunk: sp.playlist_remove_all_occurrences_of_items(target.id, chunk),
                forbidden=f"Spotify lets you change only playlists you own or collaborate on ({target.name!r} is not).",
            )
        after = playlist_info(self.api.call(f"reading {target.name!r}", lambda sp: sp.playlist(target.id)))
        return after, max(0, (target.tracks or 0) - (after.tracks or 0))

    def playlist_items(self, playlist: str, limit: int, offset: int) -> tuple[PlaylistInfo, Page[TrackItem]]:
        target = self._playlist(playlist)
        what = f"listing the items of {target.name!r}"
        first = self.api.call(
            what,
            lambda sp: sp.playlist_items(target.id, limit=min(PAGE, limit), offset=offset, additional_types=("track",)),
            forbidden=f"Spotify lists the items only of playlists you own or collaborate on ({target.name!r} is not).",
        )
        # Entries carry the track under `item` since February 2026 (`track` is the deprecated name).
        tracks = [track_item(e.get("item") or e.get("track")) for e in self.api.pages(what, first, limit)]
        return target, Page(items=[t for t in tracks if t], total=(first or {}).get("total", 0))

    # -- library ---------------------------------------------------------------------------------------
    def saved(self, limit: int, offset: int) -> Page[SavedTrack]:
        what = "listing your saved tracks"
        first = self.api.call(what, lambda sp: sp.current_user_saved_tracks(limit=min(PAGE, limit), offset=offset))
        out = []
        for entry in self.api.pages(what, first, limit):
            item = track_item(entry.get("track") or entry.get("item"))
            if item:
                added = parse_time(entry["added_at"]) if entry.get("added_at") else None
                out.append(
                    SavedTrack(
                        added_at=added,
                        title=item.title,
                        artists=item.artists,
                        length=item.length,
                        uri=item.uri,
                        track=item,
                    )
                )
        return Page(items=out, total=(first or {}).get("total", len(out)))

    def save(self, uris: Sequence[str]) -> int:
        for chunk in _chunks(list(dict.fromkeys(uris)), LIBRARY_BATCH):
            self.api.call("saving to your library", lambda sp, chunk=chunk: sp.current_user_saved_tracks_add(chunk))
        return len(set(uris))

    def unsave(self, uris: Sequence[str]) -> int:
        for chunk in _chunks(list(dict.fromkeys(uris)), LIBRARY_BATCH):
            self.api.call(
                "removing from your library", lambda sp, chunk=chunk: sp.current_user_saved_tracks_delete(chunk)
            )
        return len(set(uris))

    def top_tracks(self, time_range: TimeRange, limit: int) -> list[TopTrack]:
        found = self.api.call(
            "reading your top tracks", lambda sp: sp.current_user_top_tracks(limit=limit, time_range=time_range)
        )
        items = [t for t in map(track_item, (found or {}).get("items") or []) if t]
        return [TopTrack(rank=i, title=t.title, artists=t.artists, uri=t.uri, track=t) for i, t in enumerate(items, 1)]

    def top_artists(self, time_range: TimeRange, limit: int) -> list[ArtistInfo]:
        found = self.api.call(
            "reading your top artists", lambda sp: sp.current_user_top_artists(limit=limit, time_range=time_range)
        )
        return [_first_artist(a) for a in (found or {}).get("items") or [] if a]

    def recent_raw(self, limit: int, after_ms: int | None = None) -> list[dict[str, Any]]:
        """Recently played entries ({track, played_at, context}), newest first, following the `next` cursor."""
        what = "reading your recently played tracks"
        first = self.api.call(what, lambda sp: sp.current_user_recently_played(limit=min(PAGE, limit), after=after_ms))
        return list(self.api.pages(what, first, limit))

    def recent(self, limit: int) -> list[RecentPlay]:
        out = []
        for entry in self.recent_raw(limit):
            item = track_item(entry.get("track"))
            if item:
                out.append(
                    RecentPlay(
                        played_at=parse_time(entry["played_at"]),
                        title=item.title,
                        artists=item.artists,
                        uri=item.uri,
                        track=item,
                    )
                )
        return out

    def top_tracks_raw(self, time_range: TimeRange, limit: int) -> list[dict[str, Any]]:
        found = self.api.call(
            "reading your top tracks", lambda sp: sp.current_user_top_tracks(limit=limit, time_range=time_range)
        )
        return [t for t in (found or {}).get("items") or [] if t]
