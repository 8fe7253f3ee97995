"""The local player: the player interface over the catalog, for when no Spotify account is linked.

It plays on one device, "EchoTune local". Nothing makes sound: it keeps time. Its state (now playing, position,
queue, context, volume, shuffle, repeat) is one versioned document per user in the store; position is derived
from the Context's clock, so a track that has run its length is over the next time anyone looks, and the player
moves on through the queue and the album, artist or playlist it was playing, exactly as a real player would
have. Every finished or skipped track is recorded as a play (source "local-player") unless the person turned
`privacy.store_history` off. Playlists and saved tracks live in the store too (migration 0006).
"""

from __future__ import annotations

import random
import secrets
import string
import time
from collections import Counter
from collections.abc import Callable, Sequence
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Literal, TypeVar

from pydantic import BaseModel, Field

from echotune.tools.errors import ConflictError, InvalidInputError, NotFoundError
from echotune.tools.ids import LOCAL_PLAYLIST_PREFIX, looks_like_ref, parse_ref, parse_uri
from echotune.tools.models import LocalPlaylist, Play, Track
from echotune.tools.playback.backend import SearchType, name_match
from echotune.tools.playback.models import (
    LOCAL_DEVICE_ID,
    LOCAL_DEVICE_NAME,
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
from echotune.tools.text import normalize

if TYPE_CHECKING:
    from echotune.tools.context import Context

T = TypeVar("T")
DEFAULT_DURATION_MS = 210_000
"""For tracks whose length the catalog does not know."""
MAX_CATCH_UP = 500
"""At most this many tracks end by themselves between two looks; then the player stops (no endless loop)."""
HISTORY = 50
CAS_ATTEMPTS = 20
"""Concurrent commands on one player (CLI and MCP at once) retry their compare-and-set this often."""
RESTART_AFTER_MS = 3000
"""`previous` restarts the current track when it has played longer than this, like every player."""
TIME_RANGES: dict[TimeRange, timedelta] = {
    "short_term": timedelta(weeks=4),
    "medium_term": timedelta(days=182),
    "long_term": timedelta(days=365),
}


class LocalState(BaseModel):
    """The local player's state document (stored as JSON, one per user)."""

    status: Literal["playing", "paused", "stopped"] = "stopped"
    current: str | None = None
    position_ms: int = 0
    since: datetime | None = Field(None, description="When position_ms was true; set while playing.")
    listened_ms: int = Field(0, description="Time spent on the current track before `since`.")
    volume: int = 70
    shuffle: bool = False
    repeat: RepeatState = "off"
    context_uri: str | None = None
    context: list[str] = Field(default_factory=list, description="The context's tracks in play order.")
    context_order: list[str] = Field(default_factory=list, description="The context's own order (unshuffled).")
    index: int = -1
    from_queue: bool = False
    queue: list[str] = Field(default_factory=list)
    history: list[str] = Field(default_factory=list)


def _ms(delta: timedelta) -> int:
    return max(0, round(delta.total_seconds() * 1000))


def new_playlist_id() -> str:
    alphabet = string.ascii_letters + string.digits
    return "".join(secrets.choice(alphabet) for _ in range(22))


class LocalPlayer:
    """The player interface over the catalog and the store, for one user."""

    backend = "local"

    def __init__(self, ctx: Context):
        self.ctx = ctx

    # -- tracks ----------------------------------------------------------------------------------------
    def _tracks(self, ids: Sequence[str]) -> dict[str, Track]:
        from echotune.tools.catalog import ensure_catalog

        ensure_catalog(self.ctx)
        return self.ctx.store.catalog.get_many(ids)

    def _track(self, track_id: str) -> Track | None:
        return self._tracks([track_id]).get(track_id)

    def _known(self, uris: Sequence[str]) -> list[Track]:
        """Catalog tracks for validated uris or ids, in order; NotFoundError names any the catalog lacks."""
        ids = [parse_uri(u, ("track",))[1] for u in uris]
        found = self._tracks(ids)
        missing = [i for i in dict.fromkeys(ids) if i not in found]
        if missing:
            raise NotFoundError(
                f"The local catalog has no track {', '.join(missing[:5])}{' …' if len(missing) > 5 else ''}",
                hint="find tracks with `echotune spotify search` (on the local player it searches the catalog)",
                details={"missing": missing},
            )
        return [found[i] for i in ids]

    def _duration(self, track_id: str) -> int:
        track = self._track(track_id)
        return (track.duration_ms if track and track.duration_ms else None) or DEFAULT_DURATION_MS

    def _item(self, track_id: str | None) -> TrackItem | None:
        if track_id is None:
            return None
        track = self._track(track_id)
        return TrackItem.of_track(track) if track else TrackItem(id=track_id, title=track_id, artists="")

    # -- state, time and plays -------------------------------------------------------------------------
    def _mutate(self, fn: Callable[[LocalState, datetime], T]) -> T:
        """Read the state, let time pass, apply `fn`, write it back (compare-and-set, retried on a race)."""
        for attempt in range(CAS_ATTEMPTS):
            stored = self.ctx.store.player_state.get(self.ctx.user)
            version, state = (stored[0], LocalState.model_validate(stored[1])) if stored else (0, LocalState())
            now = self.ctx.clock()
            before = state.model_dump(mode="json")
            self._catch_up(state, now)
            result = fn(state, now)
            after = state.model_dump(mode="json")
            if after == before:
                return result
            try:
                self.ctx.store.player_state.put(self.ctx.user, after, expected_version=version, at=now)
                return result
            except ConflictError:
                if attempt == CAS_ATTEMPTS - 1:
                    raise
                time.sleep(random.uniform(0, 0.005 * (attempt + 1)))  # let the other writer finish
        raise AssertionError("unreachable")

    def _position(self, state: LocalState, now: datetime) -> int:
        if state.status == "playing" and state.since is not None:
            return state.position_ms + _ms(now - state.since)
        return state.position_ms

    def _catch_up(self, state: LocalState, now: datetime) -> None:
        """End every track whose time ran out since the last look, moving on as the player would have."""
        for _ in range(MAX_CATCH_UP):
            if state.status != "playing" or state.current is None or state.since is None:
                return
            remaining = self._duration(state.current) - state.position_ms
            ended = state.since + timedelta(milliseconds=remaining)
            if ended > now:
                return
            self._finish(state, ended, state.listened_ms + remaining, "trackdone")
            self._advance(state, ended, by_user=False)
        self._pause(state, now)

    def _finish(self, state: LocalState, at: datetime, listened_ms: int, reason: str, remember: bool = True) -> None:
        """The current track stops being current: record the play and remember it for `previous`."""
        if state.current is None:
            return
        if remember:
            state.history = [*state.history, state.current][-HISTORY:]
        if listened_ms <= 0:
            return
        from echotune.tools.settings import read_settings

        if not read_settings(self.ctx)[1].privacy.store_history:
            return
        track = self._track(state.current)
        if track is None:
            return
        self.ctx.store.plays.add(
            [
                Play(
                    user=self.ctx.user,
                    played_at=at,
                    ms_played=listened_ms,
                    track_id=track.id,
                    track_uri=track.uri,
                    title=track.title,
                    artist=track.artists[0].name if track.artists else "",
                    skipped=reason != "trackdone",
                    source="local-player",
                    extra={"device": LOCAL_DEVICE_NAME, "reason_end": reason},
                )
            ]
        )

    def _listened(self, state: LocalState, now: datetime) -> int:
        running = _ms(now - state.since) if state.status == "playing" and state.since else 0
        return state.listened_ms + running

    def _start(self, state: LocalState, track_id: str, at: datetime, *, from_queue: bool = False) -> None:
        state.status, state.current, state.from_queue = "playing", track_id, from_queue
        state.position_ms, state.listened_ms, state.since = 0, 0, at

    def _stop(self, state: LocalState) -> None:
        state.status, state.current, state.since = "stopped", None, None
        state.position_ms = state.listened_ms = 0

    def _pause(self, state: LocalState, now: datetime) -> None:
        if state.status == "playing":
            state.listened_ms = self._listened(state, now)
            state.position_ms = self._position(state, now)
            state.status, state.since = "paused", None

    def _advance(self, state: LocalState, at: datetime, *, by_user: bool) -> None:
        """Move to what comes next: the same track (repeat track), the queue, then the context."""
        if state.repeat == "track" and not by_user and state.current:
            self._start(state, state.current, at, from_queue=state.from_queue)
        elif state.queue:
            self._start(state, state.queue.pop(0), at, from_queue=True)
        elif state.context and state.index + 1 < len(state.context):
            state.index += 1
            self._start(state, state.context[state.index], at)
        elif state.context and state.repeat == "context":
            state.index = 0
            self._start(state, state.context[0], at)
        else:
            self._stop(state)

    def _state_view(self, state: LocalState, now: datetime) -> PlaybackState | None:
        if state.current is None:
            return None
        return PlaybackState(
            is_playing=state.status == "playing",
            item=self._item(state.current),
            progress_ms=self._position(state, now),
            device=self._device_view(state),
            shuffle=state.shuffle,
            repeat=state.repeat,
            context_uri=state.context_uri,
        )

    def _device_view(self, state: LocalState) -> Device:
        return Device(
            id=LOCAL_DEVICE_ID, name=LOCAL_DEVICE_NAME, type="Computer", is_active=True, volume_percent=state.volume
        )

    def _check_device(self, device: str | None) -> None:
        if device is not None and normalize(device) not in (LOCAL_DEVICE_ID, normalize(LOCAL_DEVICE_NAME)):
            raise NotFoundError(
                f"The local player has one device, {LOCAL_DEVICE_NAME!r}, not {device!r}",
                hint="link Spotify (`echotune spotify login`) to play on your phone, computer or speakers",
            )

    # -- devices ---------------------------------------------------------------------------------------
    def devices(self) -> list[Device]:
        return [self._mutate(lambda s, now: self._device_view(s))]

    def transfer(self, device: str, play: bool) -> Device:
        self._check_device(device)

        def go(state: LocalState, now: datetime) -> Device:
            if play and state.status == "paused":
                state.status, state.since = "playing", now
            return self._device_view(state)

        return self._mutate(go)

    # -- search and resolution -------------------------------------------------------------------------
    def search(self, query: str, types: Sequence[SearchType], limit: int) -> SearchResults:
        out = SearchResults()
        if "track" in types:
            out.tracks = [TrackItem.of_track(t) for t, _ in self.ctx.catalog.search(query, limit=limit)]
        if "artist" in types:
            seen: dict[str, ArtistInfo] = {}
            wanted = normalize(query)
            for track, _ in self.ctx.catalog.search("", artist=query, limit=200):
                for a in track.artists:
                    key = a.id or a.name
                    if key not in seen and (wanted in normalize(a.name) or normalize(a.name) in wanted):
                        seen[key] = ArtistInfo(
                            id=a.id, uri=f"spotify:artist:{a.id}" if a.id else None, name=a.name, genres=track.genres
                        )
            out.artists = list(seen.values())[:limit]
        if "playlist" in types:
            wanted = normalize(query)
            mine = self._own_playlists()
            out.playlists = [p for p in mine if wanted in normalize(p.name)][:limit]
        return out

    def _context_tracks(self, uri: str) -> list[str]:
        kind, id_ = parse_uri(uri, ("album", "artist", "playlist"))
        if kind == "playlist":
            if (
                not uri.startswith(LOCAL_PLAYLIST_PREFIX)
                and self.ctx.store.local_playlists.get(self.ctx.user, id_) is None
            ):
                raise NotFoundError(
                    f"The local player cannot play the Spotify playlist {id_}",
                    hint="link Spotify (`echotune spotify login`), or play one of your local playlists",
                )
            playlist = self._playlist(id_)
            entries, _ = self.ctx.store.local_playlists.items(playlist.id, limit=10_000)
            ids = [e.track_id for e in entries]
        else:
            entries = self.ctx.catalog.entries
            if kind == "album":
                ids = [e.id for e in entries if e.album_id == id_]
            else:
                by = [e for e in entries if id_ in e.artist_ids]
                ids = [e.id for e in sorted(by, key=lambda e: -(e.popularity or 0))[:50]]
        if not ids:
            raise NotFoundError(f"The local catalog has no tracks for {uri}")
        return ids

    def _resolve(self, target: PlayTarget) -> tuple[list[str], str | None]:
        """(track ids in play order, context uri) for a play or queue target."""
        if target.uris:
            return [t.id for t in self._known(target.uris)], None
        if target.context_uri:
            return self._context_tracks(target.context_uri), target.context_uri
        assert target.query is not None
        query = target.query
        if target.query_kind == "track":
            hits = self.ctx.catalog.search(query, limit=1)
            if not hits:
                raise NotFoundError(f"No track in the catalog matches {query!r}", hint="try other words")
            return [hits[0][0].id], None
        if target.query_kind == "artist":
            found = self.search(query, ["artist"], 1).artists
            if not found or not found[0].id:
                raise NotFoundError(f"No artist in the catalog matches {query!r}")
            uri = f"spotify:artist:{found[0].id}"
            return self._context_tracks(uri), uri
        if target.query_kind == "playlist":
            playlist = self._playlist(query)
            return self._context_tracks(playlist.uri), playlist.uri
        raise NotFoundError(
            "The local catalog has no album titles, so it cannot find an album by name",
            hint="play a track or an artist, or an album by its spotify:album: uri",
        )

    # -- playback --------------------------------------------------------------------------------------
    def playback(self) -> PlaybackState | None:
        return self._mutate(self._state_view)

    def play(self, target: PlayTarget, device: str | None) -> PlayOutcome:
        self._check_device(device)
        if target.is_resume:
            state = self.resume(device)
            return PlayOutcome(
                playing=[state.item] if state and state.item else [], device=LOCAL_DEVICE_NAME, state=state
            )
        ids, context = self._resolve(target)

        def go(state: LocalState, now: datetime) -> PlaybackState | None:
            if state.current:
                self._finish(state, now, self._listened(state, now), "clickrow")
            state.context_uri = context
            state.context_order = list(ids)
            state.context = self._shuffled(ids, 0) if state.shuffle else list(ids)
            state.index = 0
            self._start(state, state.context[0], now)
            return self._state_view(state, now)

        view = self._mutate(go)
        first = [i for i in (self._item(t) for t in ids[:1]) if i]
        return PlayOutcome(playing=first, context=context, device=LOCAL_DEVICE_NAME, state=view)

    def _shuffled(self, ids: Sequence[str], keep: int) -> list[str]:
        """`ids` with everything after position `keep` in a random order."""
        head, tail = list(ids[: keep + 1]), list(ids[keep + 1 :])
        random.Random(secrets.randbits(64)).shuffle(tail)
        return head + tail

    def pause(self, device: str | None) -> PlaybackState | None:
        self._check_device(device)

        def go(state: LocalState, now: datetime) -> PlaybackState | None:
            self._pause(state, now)
            return self._state_view(state, now)

        return self._mutate(go)

    def resume(self, device: str | None) -> PlaybackState | None:
        self._check_device(device)

        def go(state: LocalState, now: datetime) -> PlaybackState | None:
            if state.status == "paused" and state.current:
                state.status, state.since = "playing", now
            elif state.status == "stopped":
                if not state.context:
                    raise InvalidInputError("Nothing to resume on the local player", hint="play something first")
                state.index = 0
                self._start(state, state.context[0], now)
            return self._state_view(state, now)

        return self._mutate(go)

    def next(self, device: str | None) -> PlaybackState | None:
        self._check_device(device)

        def go(state: LocalState, now: datetime) -> PlaybackState | None:
            if state.current is None:
                raise InvalidInputError("Nothing is playing on the local player", hint="play something first")
            playing = state.status == "playing"
            self._finish(state, now, self._listened(state, now), "fwdbtn")
            self._advance(state, now, by_user=True)
            if not playing:
                self._pause(state, now)
            return self._state_view(state, now)

        return self._mutate(go)

    def previous(self, device: str | None) -> PlaybackState | None:
        self._check_device(device)

        def go(state: LocalState, now: datetime) -> PlaybackState | None:
            if state.current is None:
                raise InvalidInputError("Nothing is playing on the local player", hint="play something first")
            playing = state.status == "playing"
            in_context = not state.from_queue and state.index > 0
            if self._position(state, now) > RESTART_AFTER_MS or not (in_context or state.history):
                state.listened_ms, state.position_ms = self._listened(state, now), 0
                state.since = now if playing else None
                return self._state_view(state, now)
            leaving, was_queued = state.current, state.from_queue
            self._finish(state, now, self._listened(state, now), "backbtn", remember=False)
            if in_context:
                state.index -= 1
                back = state.context[state.index]
                if state.history and state.history[-1] == back:
                    state.history.pop()
            else:
                back = state.history.pop()
                if was_queued:
                    state.queue.insert(0, leaving)
            self._start(state, back, now)
            if not playing:
                self._pause(state, now)
            return self._state_view(state, now)

        return self._mutate(go)

    def seek(self, position_ms: int, device: str | None) -> PlaybackState | None:
        self._check_device(device)

        def go(state: LocalState, now: datetime) -> PlaybackState | None:
            if state.current is None:
                raise InvalidInputError("Nothing is playing on the local player", hint="play something first")
            duration = self._duration(state.current)
            if position_ms > duration:
                item = self._item(state.current)
                raise InvalidInputError(
                    f"{item.label() if item else 'The track'} is only {item.length if item else duration} long"
                )
            state.listened_ms = self._listened(state, now)
            state.position_ms = position_ms
            state.since = now if state.status == "playing" else None
            return self._state_view(state, now)

        return self._mutate(go)

    def volume(self, percent: int, device: str | None) -> PlaybackState | None:
        self._check_device(device)

        def go(state: LocalState, now: datetime) -> PlaybackState | None:
            state.volume = percent
            return self._state_view(state, now)

        return self._mutate(go)

    def shuffle(self, on: bool, device: str | None) -> PlaybackState | None:
        self._check_device(device)

        def go(state: LocalState, now: datetime) -> PlaybackState | None:
            if on and not state.shuffle and state.context:
                state.context = self._shuffled(state.context, state.index)
            elif not on and state.shuffle and state.context_order:
                state.context = list(state.context_order)
                if state.current in state.context and not state.from_queue:
                    state.index = state.context.index(state.current)
            state.shuffle = on
            return self._state_view(state, now)

        return self._mutate(go)

    def repeat(self, state_: RepeatState, device: str | None) -> PlaybackState | None:
        self._check_device(device)

        def go(state: LocalState, now: datetime) -> PlaybackState | None:
            state.repeat = state_
            return self._state_view(state, now)

        return self._mutate(go)

    def queue_add(self, target: PlayTarget, device: str | None) -> TrackItem:
        self._check_device(device)
        ids, _ = self._resolve(target)

        def go(state: LocalState, now: datetime) -> None:
            state.queue.append(ids[0])

        self._mutate(go)
        item = self._item(ids[0])
        assert item is not None
        return item

    def queue(self, limit: int) -> tuple[TrackItem | None, list[TrackItem]]:
        def go(state: LocalState, now: datetime) -> tuple[str | None, list[str]]:
            upcoming = list(state.queue)
            if state.context:
                upcoming += state.context[state.index + 1 :]
                if state.repeat == "context":
                    upcoming += state.context[: state.index + 1]
            return state.current, upcoming[:limit]

        current, upcoming = self._mutate(go)
        return self._item(current), [i for i in map(self._item, upcoming) if i]

    # -- playlists -------------------------------------------------------------------------------------
    def _info(self, p: LocalPlaylist) -> PlaylistInfo:
        return PlaylistInfo(
            id=p.id,
            uri=f"{LOCAL_PLAYLIST_PREFIX}{p.id}",
            name=p.name,
            description=p.description,
            owner=p.user,
            public=p.public,
            tracks=p.tracks,
        )

    def playlists(self, limit: int, offset: int) -> Page[PlaylistInfo]:
        found, total = self.ctx.store.local_playlists.list(self.ctx.user, limit=limit, offset=offset)
        return Page(items=[self._info(p) for p in found], total=total)

    def _own_playlists(self) -> list[PlaylistInfo]:
        return self.playlists(10_000, 0).items

    def _playlist(self, ref: str) -> PlaylistInfo:
        if looks_like_ref(ref):
            found = self.ctx.store.local_playlists.get(self.ctx.user, parse_ref(ref, "playlist"))
            if found is None:
                raise NotFoundError(f"No local playlist {ref}", hint="list them with `echotune playlists list`")
            return self._info(found)
        mine = self._own_playlists()
        match = name_match(mine, ref, lambda p: p.name, "of your playlists")
        if match is None:
            names = ", ".join(repr(p.name) for p in mine[:8]) or "none yet"
            raise NotFoundError(
                f"You have no local playlist called {ref!r}",
                hint=f"your playlists: {names}; create one with `echotune playlists create`",
            )
        return match

    def playlist_create(self, name: str, description: str | None, public: bool) -> PlaylistInfo:
        now = self.ctx.clock()
        playlist = LocalPlaylist(
            id=new_playlist_id(),
            user=self.ctx.user,
            name=name,
            description=description,
            public=public,
            created_at=now,
            updated_at=now,
        )
        self.ctx.store.local_playlists.create(playlist)
        return self._info(playlist)

    def playlist_add(self, playlist: str, uris: Sequence[str], position: int | None) -> PlaylistInfo:
        target = self._playlist(playlist)
        tracks = self._known(uris)
        self.ctx.store.local_playlists.add_items(
            target.id, [t.id for t in tracks], position=position, at=self.ctx.clock()
        )
        return self._playlist(target.uri)

    def playlist_remove(self, playlist: str, uris: Sequence[str]) -> tuple[PlaylistInfo, int]:
        target = self._playlist(playlist)
        ids = [parse_uri(u, ("track",))[1] for u in uris]
        removed = self.ctx.store.local_playlists.remove_items(target.id, ids, at=self.ctx.clock())
        return self._playlist(target.uri), removed

    def playlist_items(self, playlist: str, limit: int, offset: int) -> tuple[PlaylistInfo, Page[TrackItem]]:
        target = self._playlist(playlist)
        entries, total = self.ctx.store.local_playlists.items(target.id, limit=limit, offset=offset)
        items = [i for i in (self._item(e.track_id) for e in entries) if i]
        return target, Page(items=items, total=total)

    # -- library ---------------------------------------------------------------------------------------
    def saved(self, limit: int, offset: int) -> Page[SavedTrack]:
        entries, total = self.ctx.store.library.list(self.ctx.user, limit=limit, offset=offset)
        out = []
        for e in entries:
            item = self._item(e.track_id)
            if item:
                out.append(
                    SavedTrack(
                        added_at=e.saved_at, title=item.title, artists=item.artists, length=item.length, uri=item.uri,
                        track=item,
                    )
                )  # fmt: skip
        return Page(items=out, total=total)

    def save(self, uris: Sequence[str]) -> int:
        tracks = self._known(uris)
        return self.ctx.store.library.save(self.ctx.user, [t.id for t in tracks], self.ctx.clock())

    def unsave(self, uris: Sequence[str]) -> int:
        ids = [parse_uri(u, ("track",))[1] for u in uris]
        return self.ctx.store.library.remove(self.ctx.user, ids)

    def _plays(self, time_range: TimeRange) -> list[Play]:
        return self.ctx.store.plays.list(self.ctx.user, since=self.ctx.clock() - TIME_RANGES[time_range])

    def top_tracks(self, time_range: TimeRange, limit: int) -> list[TopTrack]:
        plays = self._plays(time_range)
        counts = Counter(p.track_key for p in plays)
        latest = {p.track_key: p for p in reversed(plays)}
        known = self._tracks([p.track_id for p in latest.values() if p.track_id])
        out = []
        for rank, (key, n) in enumerate(counts.most_common(limit), 1):
            play = latest[key]
            track = known.get(play.track_id or "")
            item = (
                TrackItem.of_track(track)
                if track
                else TrackItem(id=play.track_uri or key, uri=play.track_uri, title=play.title, artists=play.artist)
            )
            out.append(TopTrack(rank=rank, title=item.title, artists=item.artists, uri=item.uri, plays=n, track=item))
        return out

    def top_artists(self, time_range: TimeRange, limit: int) -> list[ArtistInfo]:
        counts = Counter(p.artist for p in self._plays(time_range) if p.artist)
        return [ArtistInfo(name=name, plays=n) for name, n in counts.most_common(limit)]

    def recent(self, limit: int) -> list[RecentPlay]:
        self.playback()  # let time pass first, so a track that just ended is in the list
        plays = self.ctx.store.plays.list(self.ctx.user, limit=limit)
        known = self._tracks([p.track_id for p in plays if p.track_id])
        out = []
        for p in plays:
            track = known.get(p.track_id or "")
            item = (
                TrackItem.of_track(track)
                if track
                else TrackItem(id=p.track_uri or p.track_key, uri=p.track_uri, title=p.title, artists=p.artist)
            )
            out.append(
                RecentPlay(played_at=p.played_at, title=item.title, artists=item.artists, uri=item.uri, track=item)
            )
        return out


def forget_history(ctx: Context, user: str) -> None:
    """Drop what the local player remembers of a user's listening (the tracks `previous` goes back to)."""
    player = LocalPlayer(ctx.for_user(user))

    def clear(state: LocalState, now: datetime) -> None:
        state.history = []

    player._mutate(clear)
