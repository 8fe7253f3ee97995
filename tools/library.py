"""Library tools: saved tracks (list, save, remove), top tracks and artists, recently played.

On Spotify, saving and removing use `PUT/DELETE /me/library` (40 uris a call); top items and recently played
come from Spotify. On the local player, saved tracks live in the store and top items and recently played are
computed from the plays in the store (imports, the local player, Spotify syncs).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar, Literal

from pydantic import Field, field_validator

from echotune.tools.ids import track_uri
from echotune.tools.playback.models import ArtistInfo, RecentPlay, SavedTrack, TimeRange, TopTrack
from echotune.tools.player import PlayerAnswer, on
from echotune.tools.registry import ToolInput, tool

if TYPE_CHECKING:
    from echotune.tools.context import Context

RANGE_WORDS = {"short_term": "the last 4 weeks", "medium_term": "the last 6 months", "long_term": "the last year"}


class SavedInput(ToolInput):
    limit: int = Field(20, ge=1, le=500, description="How many saved tracks to list, newest first.")
    offset: int = Field(0, ge=0, le=100_000, description="How many to skip first (for the next page).")


class SavedOutput(PlayerAnswer):
    cli_hidden: ClassVar[tuple[str, ...]] = ("backend", "total")
    total: int = Field(description="How many tracks are saved in all.")
    tracks: list[SavedTrack]


@tool(
    open_world=True, cli=("library", "saved"), examples=("show my liked songs", "what songs have I saved", "my library")
)
def library_saved(ctx: Context, args: SavedInput) -> SavedOutput:
    """Your saved ("liked") tracks, newest first."""
    player = ctx.player
    page = player.saved(args.limit, args.offset)
    return SavedOutput(
        backend=player.backend,
        message=f"{page.total} saved track(s); showing {len(page.items)}. {on(player.backend)}",
        total=page.total,
        tracks=page.items,
    )


class TracksInput(ToolInput):
    tracks: list[str] = Field(
        min_length=1, max_length=100, description="Track uris, ids or open.spotify.com links (1-100)."
    )

    @field_validator("tracks")
    @classmethod
    def _tracks(cls, v: list[str]) -> list[str]:
        return [track_uri(t) for t in v]


class LibraryChangeOutput(PlayerAnswer):
    cli_hidden: ClassVar[tuple[str, ...]] = ("backend", "count")
    count: int = Field(description="How many tracks were saved or removed.")


@tool(
    effect="act",
    open_world=True,
    cli=("library", "save"),
    cli_args=("tracks",),
    examples=(
        "like this song",
        "save hey jude to my library",
        "add spotify:track:3e9HZxeyfWwjeyPAMmWSSQ to my liked songs",
    ),
)
def library_save(ctx: Context, args: TracksInput) -> LibraryChangeOutput:
    """Save tracks to your library ("like" them)."""
    player = ctx.player
    n = player.save(args.tracks)
    return LibraryChangeOutput(backend=player.backend, message=f"Saved {n} track(s). {on(player.backend)}", count=n)


@tool(
    effect="act",
    open_world=True,
    cli=("library", "remove"),
    cli_args=("tracks",),
    examples=("unlike this song", "remove hey jude from my library", "take this out of my liked songs"),
)
def library_remove(ctx: Context, args: TracksInput) -> LibraryChangeOutput:
    """Remove tracks from your library ("unlike" them)."""
    player = ctx.player
    n = player.unsave(args.tracks)
    return LibraryChangeOutput(
        backend=player.backend, message=f"Removed {n} track(s) from your library. {on(player.backend)}", count=n
    )


class TopInput(ToolInput):
    kind: Literal["tracks", "artists"] = Field("tracks", description="Top tracks or top artists.")
    time_range: TimeRange = Field(
        "medium_term", description="short_term: about 4 weeks; medium_term: about 6 months; long_term: about a year."
    )
    limit: int = Field(20, ge=1, le=50, description="How many to list.")


class TopOutput(PlayerAnswer):
    kind: Literal["tracks", "artists"]
    time_range: TimeRange
    tracks: list[TopTrack] = Field(default_factory=list, description="Top tracks, when kind is tracks.")
    artists: list[ArtistInfo] = Field(default_factory=list, description="Top artists, when kind is artists.")

    @property
    def cli_hidden(self) -> tuple[str, ...]:  # type: ignore[override]
        """The CLI shows the one list that was asked for."""
        return ("backend", "kind", "time_range", "artists" if self.kind == "tracks" else "tracks")


@tool(
    open_world=True,
    cli=("library", "top"),
    examples=("my top songs", "who are my top artists this month", "what have I listened to most this year"),
)
def library_top(ctx: Context, args: TopInput) -> TopOutput:
    """Your most played tracks or artists over about 4 weeks, 6 months or a year."""
    player = ctx.player
    if args.kind == "tracks":
        tracks, artists = player.top_tracks(args.time_range, args.limit), []
    else:
        tracks, artists = [], player.top_artists(args.time_range, args.limit)
    n = len(tracks) + len(artists)
    return TopOutput(
        backend=player.backend,
        message=f"Your top {n} {args.kind} over {RANGE_WORDS[args.time_range]}. {on(player.backend)}",
        kind=args.kind,
        time_range=args.time_range,
        tracks=tracks,
        artists=artists,
    )


class RecentInput(ToolInput):
    limit: int = Field(20, ge=1, le=50, description="How many recently played tracks to list, newest first.")


class RecentOutput(PlayerAnswer):
    plays: list[RecentPlay]


@tool(
    open_world=True,
    cli=("library", "recent"),
    examples=("what did I listen to recently", "recently played", "what was that song I played earlier"),
)
def library_recent(ctx: Context, args: RecentInput) -> RecentOutput:
    """The tracks you played most recently, newest first."""
    player = ctx.player
    plays = player.recent(args.limit)
    return RecentOutput(
        backend=player.backend, message=f"{len(plays)} recent play(s). {on(player.backend)}", plays=plays
    )
