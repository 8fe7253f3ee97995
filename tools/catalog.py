"""The catalog: the bundled MusicOSet tracks plus tracks learnt from history and Spotify.

Search tolerates typos, case, accents and version suffixes ("hey jue" finds Hey Jude, "beyonce" finds
Beyoncé) with rapidfuzz over normalised titles and artists, and filters by artist, genre and year.
"""

from __future__ import annotations

import gzip
import json
from collections import Counter
from dataclasses import dataclass
from functools import cached_property
from typing import TYPE_CHECKING, ClassVar

import orjson
from pydantic import BaseModel, Field, model_validator

from echotune.tools.catalog_build import CATALOG_FILE, DATA_DIR, MANIFEST_FILE
from echotune.tools.errors import NotFoundError
from echotune.tools.ids import parse_ref
from echotune.tools.models import CatalogEntry, Track, TrackSource
from echotune.tools.registry import ToolInput, tool
from echotune.tools.text import normalize, song_name

if TYPE_CHECKING:
    import numpy as np

    from echotune.tools.context import Context
    from echotune.tools.store.base import CatalogRepo

BUNDLED_KEY = "catalog.bundled_sha256"
MIN_SCORE = 60.0


def bundled_manifest() -> dict:
    return json.loads((DATA_DIR / MANIFEST_FILE).read_text(encoding="utf-8"))


def ensure_bundled(ctx: Context) -> int:
    """Load the bundled catalog into the store on first run (or after it was rebuilt); returns tracks loaded."""
    manifest = bundled_manifest()
    if ctx.store.meta.get(BUNDLED_KEY) == manifest["sha256"]:
        return 0
    total = manifest["tracks"]
    batch: list[Track] = []
    loaded = 0
    ctx.report("Loading the bundled catalog", 0, total)
    with gzip.open(DATA_DIR / CATALOG_FILE, "rb") as fh:
        for line in fh:
            batch.append(Track.model_validate(orjson.loads(line)))
            if len(batch) == 5000:
                loaded += ctx.store.catalog.upsert(batch)
                batch.clear()
                ctx.report("Loading the bundled catalog", loaded, total)
    loaded += ctx.store.catalog.upsert(batch)
    ctx.report("Loading the bundled catalog", loaded, total)
    ctx.store.meta.set(BUNDLED_KEY, manifest["sha256"])
    return loaded


def ensure_catalog(ctx: Context) -> None:
    """Once per Context: make sure the bundled catalog is in the store before anything reads it."""
    ctx.lazy("catalog.bundled", lambda: ensure_bundled(ctx))


@dataclass
class CatalogIndex:
    """An in-memory fuzzy index over every catalog track; rebuilt when the catalog changes (`ctx.forget`).

    It holds each track's `CatalogEntry`, not its `Track`: a search builds Tracks for its hits only, from the
    store, so building the index costs a fifth of what validating 20,000 Tracks would.
    """

    entries: list[CatalogEntry]
    titles: list[str]
    artists: list[str]
    combined: list[str]
    popularity: np.ndarray
    years: np.ndarray
    store: CatalogRepo

    @classmethod
    def load(cls, ctx: Context) -> CatalogIndex:
        import numpy as np

        ensure_catalog(ctx)
        entries = list(ctx.store.catalog.entries())
        titles = [normalize(song_name(e.title)) for e in entries]
        artists = [normalize(" ".join(e.artist_names)) for e in entries]
        return cls(
            entries=entries,
            titles=titles,
            artists=artists,
            combined=[f"{t} {a}" for t, a in zip(titles, artists, strict=True)],
            popularity=np.array([e.popularity or 0 for e in entries], dtype=np.float32),
            years=np.array([e.year or 0 for e in entries], dtype=np.int32),
            store=ctx.store.catalog,
        )

    @cached_property
    def genre_text(self) -> list[str]:
        """Each track's normalised genres joined by "|" (a genre filter matches within one genre)."""
        return ["|".join(normalize(g) for g in e.genres) for e in self.entries]

    def search(
        self,
        query: str = "",
        *,
        artist: str | None = None,
        genre: str | None = None,
        year_from: int | None = None,
        year_to: int | None = None,
        limit: int = 10,
    ) -> list[tuple[Track, float]]:
        """Best matches first, as (track, score 0-100). Filters narrow; the query ranks."""
        import numpy as np
        from rapidfuzz import fuzz, process

        mask = np.ones(len(self.entries), dtype=bool)
        if year_from is not None:
            mask &= self.years >= year_from
        if year_to is not None:
            mask &= (self.years <= year_to) & (self.years > 0)
        if artist:
            a = normalize(artist)
            scores = process.cdist([a], self.artists, scorer=fuzz.token_set_ratio, dtype=np.uint8)[0]
            mask &= scores >= 85
        if genre:
            g = normalize(genre).replace("|", " ")
            mask &= np.array([g in text for text in self.genre_text])
        if not query.strip():
            score = np.where(mask, 100.0, -1.0)
        else:
            q = normalize(song_name(query))
            by_title = process.cdist([q], self.titles, scorer=fuzz.ratio, dtype=np.uint8)[0]
            by_words = process.cdist([q], self.combined, scorer=fuzz.token_set_ratio, dtype=np.uint8)[0]
            by_artist = process.cdist([q], self.artists, scorer=fuzz.ratio, dtype=np.uint8)[0]
            score = np.maximum(np.maximum(by_title, by_words), by_artist).astype(np.float64)
            score[~mask] = -1.0
            score[score < MIN_SCORE] = -1.0
        # Popularity breaks ties (the Beatles' Hey Jude before a cover), never outranks a better match.
        ranked = score + self.popularity / 1000.0
        candidates = np.flatnonzero(score >= 0)
        top = candidates[np.argsort(-ranked[candidates], kind="stable")[:limit]]
        tracks = self.store.get_many([self.entries[i].id for i in top])
        return [(tracks[self.entries[i].id], round(float(score[i]), 1)) for i in top if self.entries[i].id in tracks]


# -- tools ------------------------------------------------------------------------------------------------


class TrackHit(BaseModel):
    """A track found by search, with how well it matched."""

    table_columns: ClassVar[tuple[str, ...]] = ("title", "artists", "year", "genres", "score", "id")

    id: str = Field(description="Track id; pass it to other tools.")
    uri: str | None = Field(None, description="Spotify uri, when the track is on Spotify.")
    title: str
    artists: str = Field(description="Credited artists, comma-separated.")
    year: int | None = None
    genres: list[str] = Field(default_factory=list)
    popularity: int | None = None
    explicit: bool = False
    score: float = Field(description="Match quality, 0-100.")

    @classmethod
    def of(cls, track: Track, score: float = 100.0) -> TrackHit:
        return cls(
            id=track.id,
            uri=track.uri,
            title=track.title,
            artists=track.artist_names,
            year=track.year,
            genres=track.genres[:3],
            popularity=track.popularity,
            explicit=track.explicit,
            score=score,
        )


class CatalogSearchInput(ToolInput):
    query: str = Field("", max_length=200, description="Words from the title and/or artist; typos are tolerated.")
    artist: str | None = Field(None, max_length=200, description="Only tracks by this artist (fuzzy).")
    genre: str | None = Field(None, max_length=100, description="Only tracks whose artist has this genre, e.g. 'soul'.")
    year_from: int | None = Field(None, ge=1900, le=2100, description="Earliest release year, inclusive.")
    year_to: int | None = Field(None, ge=1900, le=2100, description="Latest release year, inclusive.")
    limit: int = Field(10, ge=1, le=50, description="How many tracks to return.")

    @model_validator(mode="after")
    def _something_to_search(self) -> CatalogSearchInput:
        if not (self.query.strip() or self.artist or self.genre or self.year_from or self.year_to):
            raise ValueError("give a query or at least one filter (artist, genre, year_from, year_to)")
        if self.year_from and self.year_to and self.year_from > self.year_to:
            raise ValueError("year_from must not be after year_to")
        return self


class CatalogSearchOutput(BaseModel):
    query: str
    tracks: list[TrackHit] = Field(description="Best matches first.")


@tool(
    cli=("catalog", "search"),
    cli_args=("query",),
    examples=(
        "find hey jude",
        "search for songs by beyonce",
        "do you have bohemian rhapsody",
        "show me soul songs from the 70s",
        "look up smells like teen spirit",
    ),
)
def catalog_search(ctx: Context, args: CatalogSearchInput) -> CatalogSearchOutput:
    """Find tracks in the catalog by title and/or artist words, with optional artist, genre and year filters.
    Tolerates typos, accents and case ("hey jue" finds Hey Jude)."""
    found = ctx.catalog.search(
        args.query,
        artist=args.artist,
        genre=args.genre,
        year_from=args.year_from,
        year_to=args.year_to,
        limit=args.limit,
    )
    return CatalogSearchOutput(query=args.query, tracks=[TrackHit.of(t, s) for t, s in found])


class CatalogGetInput(ToolInput):
    track: str = Field(
        min_length=1, max_length=200, description="Track id, spotify:track:<id> uri or open.spotify.com link."
    )


class CatalogGetOutput(BaseModel):
    track: Track


def get_track(ctx: Context, ref: str) -> Track:
    """The catalog track for an id, uri or link; NotFoundError when the catalog lacks it."""
    track_id = parse_ref(ref, "track")
    ensure_catalog(ctx)
    track = ctx.store.catalog.get(track_id)
    if track is None:
        raise NotFoundError(f"No track {track_id} in the catalog", hint="find one with `echotune catalog search`")
    return track


@tool(
    quick=True,
    cli=("catalog", "show"),
    examples=(
        "tell me about spotify:track:3e9HZxeyfWwjeyPAMmWSSQ",
        "show track 3e9HZxeyfWwjeyPAMmWSSQ",
        "what are the audio features of that track",
    ),
)
def catalog_get(ctx: Context, args: CatalogGetInput) -> CatalogGetOutput:
    """Everything the catalog knows about one track: artists, year, genres, popularity, audio features."""
    return CatalogGetOutput(track=get_track(ctx, args.track))


class CatalogStatsInput(ToolInput):
    top: int = Field(10, ge=1, le=50, description="How many of the most common genres to list.")


class GenreCount(BaseModel):
    genre: str
    tracks: int


class CatalogStats(BaseModel):
    tracks: int = Field(description="Tracks in the catalog.")
    by_source: dict[TrackSource, int] = Field(description="Tracks per source: bundled, learnt, spotify.")
    artists: int = Field(description="Distinct credited artists.")
    with_audio_features: int
    explicit: int
    year_min: int | None
    year_max: int | None
    by_decade: dict[str, int]
    top_genres: list[GenreCount]


@tool(
    cli=("catalog", "stats"),
    examples=("how big is the catalog", "what genres are in the catalog", "catalog statistics"),
)
def catalog_stats(ctx: Context, args: CatalogStatsInput) -> CatalogStats:
    """Size and shape of the catalog: tracks per source, artists, years, decades and the most common genres."""
    entries = ctx.catalog.entries
    if not entries:
        raise NotFoundError("The catalog is empty", hint="run `echotune doctor` to check the data directory")
    years = [e.year for e in entries if e.year]
    genres = Counter(e.genres[0] for e in entries if e.genres)
    return CatalogStats(
        tracks=len(entries),
        by_source=dict(Counter(e.source for e in entries)),
        artists=len({a_id or name for e in entries for a_id, name in zip(e.artist_ids, e.artist_names, strict=True)}),
        with_audio_features=sum(e.has_features for e in entries),
        explicit=sum(e.explicit for e in entries),
        year_min=min(years, default=None),
        year_max=max(years, default=None),
        by_decade=dict(sorted(Counter(f"{y // 10 * 10}s" for y in years).items())),
        top_genres=[GenreCount(genre=g, tracks=n) for g, n in genres.most_common(args.top)],
    )
