"""A user's listening history as numpy columns, so every history query and insight answers in milliseconds on
hundreds of thousands of plays (SQL GROUP BY over 200K rows takes 100 ms here; bincount takes one).

Built from `PlaysRepo.columns` on first use and kept on the Context per user; the store's per-user revision
says when it is stale. Genres and audio features of the played tracks are read from the catalog on first use.
"""

from __future__ import annotations

import hashlib
import os
import threading
from collections.abc import Callable, Hashable
from dataclasses import dataclass, field
from datetime import UTC, datetime, tzinfo
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import numpy as np

from echotune.tools.text import normalize

if TYPE_CHECKING:
    from echotune.tools.context import Context
    from echotune.tools.periods import Period

KINDS = ("music", "podcast", "audiobook")
DAY_MS = 86_400_000
HOUR_MS = 3_600_000
FEATURES = ("energy", "valence", "danceability", "acousticness", "tempo")

T = TypeVar("T")


@dataclass
class Frame:
    """One user's plays, oldest first. Per play: time, duration, what was played. Per item (a distinct thing
    played): its kind, its song (catalog track, else the item itself) and its artist."""

    user: str
    revision: int
    at: np.ndarray  # int64 epoch ms
    ms: np.ndarray  # int64 ms played
    item: np.ndarray  # int32 index into items
    skipped: np.ndarray  # bool
    items: list[Any]  # PlayItem
    item_kind: np.ndarray  # int8 index into KINDS
    item_song: np.ndarray  # int32 index into songs
    item_artist: np.ndarray  # int32 index into artists
    songs: list[tuple[str | None, str, str]]  # (catalog track id, title, artist)
    artists: list[str]
    kind: np.ndarray = field(default=None, repr=False)  # type: ignore[assignment]  # per play: int8 index into KINDS
    song: np.ndarray = field(default=None, repr=False)  # type: ignore[assignment]  # per play: index into songs
    artist: np.ndarray = field(default=None, repr=False)  # type: ignore[assignment]  # per play: index into artists

    def __post_init__(self) -> None:
        # per-play views of the per-item codes, computed once: every query slices them
        self.kind = self.item_kind[self.item]
        self.song = self.item_song[self.item]
        self.artist = self.item_artist[self.item]

    _meta: dict[str, Any] = field(default_factory=dict, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def __len__(self) -> int:
        return len(self.at)

    # -- slicing ------------------------------------------------------------------------------------------
    def bounds(self, period: Period) -> slice:
        """The plays inside the period (plays are sorted by time)."""
        lo = 0 if period.since is None else int(np.searchsorted(self.at, _ms(period.since), "left"))
        hi = len(self.at) if period.until is None else int(np.searchsorted(self.at, _ms(period.until), "left"))
        return slice(lo, hi)

    def kind_of(self, part: slice) -> np.ndarray:
        return self.kind[part]

    def memo(self, key: Hashable, compute: Callable[[], T]) -> T:
        """What `compute` derives from these plays, computed once per frame (a frame is rebuilt when the plays
        change, so nothing kept here goes stale). Two threads may both compute it; the last one's is kept."""
        with self._lock:
            if key in self._meta:
                return self._meta[key]
        value = compute()
        with self._lock:
            self._meta[key] = value
        return value

    # -- local time ---------------------------------------------------------------------------------------
    def local(self, tz: tzinfo, part: slice | None = None) -> np.ndarray:
        """Local wall-clock epoch ms (DST-exact) of the plays in `part` (computed once per time zone)."""
        full = self.memo(("local", str(tz)), lambda: _to_local(self.at, tz))
        return full if part is None else full[part]

    def months(self, tz: tzinfo, part: slice | None = None) -> tuple[np.ndarray, list[str]]:
        """Per play in `part`, the index of its local calendar month, and the month labels ("2024-05")."""
        index, first = self.memo(("months", str(tz)), lambda: _months(self.local(tz)))
        if part is not None:
            index = index[part]
        if len(index) == 0:
            return index.astype(np.int32), []
        lo, hi = int(index.min()), int(index.max())
        labels = [f"{1970 + m // 12}-{m % 12 + 1:02d}" for m in range(first + lo, first + hi + 1)]
        return (index - lo).astype(np.int32), labels

    # -- catalog metadata ---------------------------------------------------------------------------------
    def song_meta(self, ctx: Context) -> tuple[list[list[str]], np.ndarray, np.ndarray]:
        """(genres per song, audio features per song as a float array [songs x FEATURES] with NaN where
        unknown, whether each song has features)."""
        with self._lock:
            if "genres" not in self._meta:
                ids = [s[0] for s in self.songs if s[0]]
                tracks = ctx.store.catalog.get_many(ids) if ids else {}
                genres: list[list[str]] = []
                feats = np.full((len(self.songs), len(FEATURES)), np.nan)
                for i, (tid, _, _) in enumerate(self.songs):
                    track = tracks.get(tid) if tid else None
                    genres.append(list(track.genres) if track else [])
                    if track and track.features:
                        feats[i] = [getattr(track.features, f) for f in FEATURES]
                self._meta["genres"] = genres
                self._meta["features"] = feats
                self._meta["has_features"] = ~np.isnan(feats[:, 0])
            return self._meta["genres"], self._meta["features"], self._meta["has_features"]

    def genre_pairs(self, ctx: Context) -> tuple[list[str], np.ndarray, np.ndarray]:
        """(genre names, song index per pair, genre index per pair): every (song, genre) tag."""
        return self.memo("pairs", lambda: self._genre_pairs(ctx))

    def _genre_pairs(self, ctx: Context) -> tuple[list[str], np.ndarray, np.ndarray]:
        genres, _, _ = self.song_meta(ctx)
        names: dict[str, int] = {}
        song_idx, genre_idx = [], []
        for s, gs in enumerate(genres):
            for g in gs:
                song_idx.append(s)
                genre_idx.append(names.setdefault(g, len(names)))
        return list(names), np.array(song_idx, dtype=np.int32), np.array(genre_idx, dtype=np.int32)


def _to_local(at: np.ndarray, tz: tzinfo) -> np.ndarray:
    if len(at) == 0:
        return at.copy()
    days = at // DAY_MS
    uniq, inverse = np.unique(days, return_inverse=True)
    start = np.array([_offset(tz, int(d) * DAY_MS) for d in uniq], dtype=np.int64)
    end = np.array([_offset(tz, (int(d) + 1) * DAY_MS - 1) for d in uniq], dtype=np.int64)
    offsets = start[inverse]
    changing = np.flatnonzero(start != end)  # days with a DST change: the exact offset per play
    if len(changing):
        mask = np.isin(inverse, changing)
        offsets[mask] = [_offset(tz, int(t)) for t in at[mask]]
    return at + offsets


def _ms(value: datetime) -> int:
    return int(value.timestamp() * 1000)


def _offset(tz: tzinfo, at_ms: int) -> int:
    off = datetime.fromtimestamp(at_ms / 1000, UTC).astimezone(tz).utcoffset()
    return int(off.total_seconds() * 1000) if off else 0


def build(ctx: Context, user: str, revision: int) -> Frame:
    """Read the user's plays from the store into columns."""
    cols = ctx.store.plays.columns(user)
    return _assemble(
        user,
        revision,
        np.array(cols.played_at, dtype=np.int64),
        np.array(cols.ms_played, dtype=np.int64),
        np.array(cols.item, dtype=np.int32),
        np.array(cols.skipped, dtype=bool),
        cols.items,
    )


def _assemble(
    user: str, revision: int, at: np.ndarray, ms: np.ndarray, item: np.ndarray, skipped: np.ndarray, items: list[Any]
) -> Frame:
    kinds = {k: i for i, k in enumerate(KINDS)}
    songs: dict[str, int] = {}
    song_rows: list[tuple[str | None, str, str]] = []
    artists: dict[str, int] = {}
    artist_names: list[str] = []
    item_kind = np.zeros(len(items), dtype=np.int8)
    item_song = np.zeros(len(items), dtype=np.int32)
    item_artist = np.zeros(len(items), dtype=np.int32)
    for i, it in enumerate(items):
        item_kind[i] = kinds.get(it.kind, 0)
        song_key = it.track_id or it.track_key
        if song_key not in songs:
            songs[song_key] = len(song_rows)
            song_rows.append((it.track_id, it.title, it.artist))
        item_song[i] = songs[song_key]
        artist_key = normalize(it.artist) or it.artist
        if artist_key not in artists:
            artists[artist_key] = len(artist_names)
            artist_names.append(it.artist or "Unknown artist")
        item_artist[i] = artists[artist_key]
    return Frame(
        user=user,
        revision=revision,
        at=at,
        ms=ms,
        item=item,
        skipped=skipped,
        items=items,
        item_kind=item_kind,
        item_song=item_song,
        item_artist=item_artist,
        songs=song_rows,
        artists=artist_names,
    )


def frame(ctx: Context, user: str | None = None) -> Frame:
    """The user's history columns: from memory, else from the disk cache, else built from the store; rebuilt
    only when their plays changed (the store's revision) since."""
    user = user or ctx.user
    holder: dict[str, Frame] = ctx.lazy("history.frames", dict)
    revision = ctx.store.plays.revision(user)
    current = holder.get(user)
    if current is None or current.revision != revision:
        current = _load(ctx, user, revision)
        if current is None:
            current = build(ctx, user, revision)
            _save(ctx, current)
        holder[user] = current
    return current


def cache_path(ctx: Context, user: str) -> Path:
    """Where the columns of a user are kept between runs (derived data: deleting history removes it)."""
    digest = hashlib.sha256(user.encode()).hexdigest()[:24]
    return Path(ctx.config.data_dir) / "cache" / "history" / f"{digest}.npz"


def _save(ctx: Context, f: Frame) -> None:
    path = cache_path(ctx, f.user)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(f".{os.getpid()}.tmp.npz")
        np.savez(tmp, revision=f.revision, items=len(f.items), at=f.at, ms=f.ms, item=f.item, skipped=f.skipped)
        os.replace(tmp, path)
    except OSError:  # a cache that cannot be written only costs time
        pass


def _load(ctx: Context, user: str, revision: int) -> Frame | None:
    path = cache_path(ctx, user)
    try:
        with np.load(path, allow_pickle=False) as z:
            if int(z["revision"]) != revision:
                return None
            n_items, at, ms, item, skipped = int(z["items"]), z["at"], z["ms"], z["item"], z["skipped"]
    except (OSError, KeyError, ValueError):
        return None
    items = ctx.store.plays.items(user)
    if len(items) < n_items:
        return None
    return _assemble(user, revision, at, ms, item, skipped, items)


def drop(ctx: Context, user: str) -> None:
    """Forget the cached columns of a user, in memory and on disk (tools/history.py registers this with
    derived.on_forget)."""
    holder: dict[str, Frame] = ctx.lazy("history.frames", dict)
    holder.pop(user, None)
    cache_path(ctx, user).unlink(missing_ok=True)


# -- calendar helpers shared by the queries --------------------------------------------------------------


def _months(local_ms: np.ndarray) -> tuple[np.ndarray, int]:
    """(month index of each play relative to the first month, the first month as months since 1970-01)."""
    if len(local_ms) == 0:
        return np.zeros(0, dtype=np.int32), 0
    months = (local_ms // DAY_MS).astype("datetime64[D]").astype("datetime64[M]").astype(np.int64)
    first = int(months.min())
    return (months - first).astype(np.int32), first


def distinct(codes: np.ndarray, size: int) -> int:
    """How many different codes (0 <= code < size) occur."""
    return int(np.count_nonzero(np.bincount(codes, minlength=size))) if len(codes) else 0


def month_index(local_ms: np.ndarray) -> tuple[np.ndarray, list[str]]:
    """Per play, the index of its local calendar month, and the month labels ("2024-05") in order."""
    if len(local_ms) == 0:
        return np.zeros(0, dtype=np.int32), []
    months = (local_ms // DAY_MS).astype("datetime64[D]").astype("datetime64[M]").astype(np.int64)
    first, last = int(months.min()), int(months.max())
    labels = [f"{1970 + m // 12}-{m % 12 + 1:02d}" for m in range(first, last + 1)]
    return (months - first).astype(np.int32), labels


def firsts(f: Frame) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(indexes of music plays, the position among them of each song's first play, of each artist's first play)."""
    with f._lock:
        cached = f._meta.get("firsts")
    if cached is None:
        music = np.flatnonzero(f.kind == 0)
        songs = f.song[music]
        artists = f.artist[music]
        first_song = np.full(len(f.songs), -1, dtype=np.int64)
        first_artist = np.full(len(f.artists), -1, dtype=np.int64)
        order = np.arange(len(music) - 1, -1, -1)  # assigning in reverse leaves each code's first position
        first_song[songs[::-1]] = order
        first_artist[artists[::-1]] = order
        cached = (music, first_song[first_song >= 0], first_artist[first_artist >= 0])
        with f._lock:
            f._meta["firsts"] = cached
    return cached
