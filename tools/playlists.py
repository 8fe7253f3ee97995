"""Playlist tools: list mine, create one, add and remove tracks, list a playlist's items.

On Spotify these use the current endpoints (`POST /me/playlists`, `/playlists/{id}/items`); on the local
player, playlists live in the store. A playlist is named by id, uri, link or its name; an unknown one is
refused before anything is sent or written.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar

from pydantic import Field, field_validator

from echotune.tools.ids import looks_like_ref, parse_ref, track_uri
from echotune.tools.playback.models import PlaylistInfo, TrackItem
from echotune.tools.player import PlayerAnswer, on
from echotune.tools.registry import ToolInput, tool

if TYPE_CHECKING:
    from echotune.tools.context import Context

PLAYLIST_FIELD = Field(
    min_length=1,
    max_length=200,
    description="The playlist: its name (one of yours), id, spotify:playlist: uri or open.spotify.com link.",
)
TRACKS_FIELD = Field(min_length=1, max_length=100, description="Track uris, ids or open.spotify.com links (1-100).")


def _playlist_ref(value: str) -> str:
    value = value.strip()
    if looks_like_ref(value):
        parse_ref(value, "playlist")
    return value


class PlaylistsListInput(ToolInput):
    limit: int = Field(20, ge=1, le=200, description="How many playlists to list.")
    offset: int = Field(0, ge=0, le=100_000, description="How many to skip first (for the next page).")


class PlaylistsOutput(PlayerAnswer):
    cli_hidden: ClassVar[tuple[str, ...]] = ("backend", "total")
    total: int = Field(description="How many playlists you have in all.")
    playlists: list[PlaylistInfo]


@tool(
    open_world=True,
    cli=("playlists", "list"),
    examples=("show my playlists", "what playlists do I have", "list playlists"),
)
def playlists_list(ctx: Context, args: PlaylistsListInput) -> PlaylistsOutput:
    """Your playlists (owned or followed), with how many tracks each holds."""
    player = ctx.player
    page = player.playlists(args.limit, args.offset)
    return PlaylistsOutput(
        backend=player.backend,
        message=f"{page.total} playlist(s); showing {len(page.items)}. {on(player.backend)}",
        total=page.total,
        playlists=page.items,
    )


class PlaylistCreateInput(ToolInput):
    name: str = Field(min_length=1, max_length=100, description="The new playlist's name.")
    description: str | None = Field(None, max_length=300, description="A line about it.")
    public: bool = Field(False, description="Show it on your profile (default: private).")

    @field_validator("name")
    @classmethod
    def _not_blank(cls, v: str) -> str:
        if not v.strip():
            raise ValueError("the name must not be blank")
        return v.strip()


class PlaylistOutput(PlayerAnswer):
    playlist: PlaylistInfo


@tool(
    effect="act",
    open_world=True,
    cli=("playlists", "create"),
    examples=("create a playlist called road trip", "make a new playlist for running", "new playlist chill evenings"),
)
def playlist_create(ctx: Context, args: PlaylistCreateInput) -> PlaylistOutput:
    """Create a new, empty playlist of yours (private unless public is set)."""
    player = ctx.player
    created = player.playlist_create(args.name, args.description, args.public)
    return PlaylistOutput(
        backend=player.backend, message=f"Created the playlist {created.name!r}. {on(player.backend)}", playlist=created
    )


class PlaylistTracksInput(ToolInput):
    playlist: str = PLAYLIST_FIELD
    tracks: list[str] = TRACKS_FIELD

    @field_validator("playlist")
    @classmethod
    def _playlist(cls, v: str) -> str:
        return _playlist_ref(v)

    @field_validator("tracks")
    @classmethod
    def _tracks(cls, v: list[str]) -> list[str]:
        return [track_uri(t) for t in v]


class PlaylistAddInput(PlaylistTracksInput):
    position: int | None = Field(None, ge=0, le=10_000, description="Insert at this index (0 = first); default: end.")


class PlaylistChangeOutput(PlayerAnswer):
    cli_hidden: ClassVar[tuple[str, ...]] = ("backend", "changed")
    playlist: PlaylistInfo
    changed: int = Field(description="How many items were added or removed.")


@tool(
    effect="act",
    open_world=True,
    cli=("playlists", "add"),
    cli_args=("playlist", "tracks"),
    examples=(
        "add hey jude to my road trip playlist",
        "put these songs on running",
        "add spotify:track:3e9HZxeyfWwjeyPAMmWSSQ to chill evenings",
    ),
)
def playlist_add_tracks(ctx: Context, args: PlaylistAddInput) -> PlaylistChangeOutput:
    """Add tracks to one of your playlists (at the end, or at a position)."""
    player = ctx.player
    playlist = player.playlist_add(args.playlist, args.tracks, args.position)
    return PlaylistChangeOutput(
        backend=player.backend,
        message=f"Added {len(args.tracks)} track(s) to {playlist.name!r}. {on(player.backend)}",
        playlist=playlist,
        changed=len(args.tracks),
    )


@tool(
    effect="act",
    open_world=True,
    cli=("playlists", "remove"),
    cli_args=("playlist", "tracks"),
    examples=("remove hey jude from road trip", "take this song off my running playlist", "delete track from playlist"),
)
def playlist_remove_tracks(ctx: Context, args: PlaylistTracksInput) -> PlaylistChangeOutput:
    """Remove every occurrence of these tracks from one of your playlists."""
    player = ctx.player
    playlist, removed = player.playlist_remove(args.playlist, args.tracks)
    return PlaylistChangeOutput(
        backend=player.backend,
        message=f"Removed {removed} item(s) from {playlist.name!r}. {on(player.backend)}",
        playlist=playlist,
        changed=removed,
    )


class PlaylistItemsInput(ToolInput):
    playlist: str = PLAYLIST_FIELD
    limit: int = Field(50, ge=1, le=500, description="How many items to list.")
    offset: int = Field(0, ge=0, le=100_000, description="How many to skip first (for the next page).")

    @field_validator("playlist")
    @classmethod
    def _playlist(cls, v: str) -> str:
        return _playlist_ref(v)


class PlaylistItemsOutput(PlayerAnswer):
    cli_hidden: ClassVar[tuple[str, ...]] = ("backend", "playlist", "total")
    playlist: PlaylistInfo
    total: int = Field(description="How many items the playlist holds in all.")
    items: list[TrackItem]


@tool(
    open_world=True,
    cli=("playlists", "items"),
    examples=("what's on my road trip playlist", "show the songs in running", "list the tracks of chill evenings"),
)
def playlist_items(ctx: Context, args: PlaylistItemsInput) -> PlaylistItemsOutput:
    """The tracks of one of your playlists, in order."""
    player = ctx.player
    playlist, page = player.playlist_items(args.playlist, args.limit, args.offset)
    return PlaylistItemsOutput(
        backend=player.backend,
        message=f"{playlist.name!r} holds {page.total} item(s); showing {len(page.items)}. {on(player.backend)}",
        playlist=playlist,
        total=page.total,
        items=page.items,
    )
