"""Spotify tools: search, and `spotify sync`, which brings what a person played on Spotify into EchoTune.

Search works on either backend (the local player searches the catalog). Sync needs a linked account: it pulls
the recently played tracks (Spotify keeps the last 50) as plays, and those tracks plus the top tracks of the
three time ranges into the catalog (source "spotify"), so history, insights and the recommender see them.
Top tracks carry no play times, so they become catalog tracks, not invented plays. A track the catalog
already holds is left as it is (the bundled one has genres and audio features Spotify no longer serves).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar, Literal, get_args

from pydantic import Field, field_validator

from echotune.tools.errors import NotConfiguredError
from echotune.tools.models import Play, Track
from echotune.tools.playback.models import AlbumInfo, ArtistInfo, PlaylistInfo, TimeRange, TrackItem
from echotune.tools.player import PlayerAnswer, on
from echotune.tools.registry import ToolInput, tool

if TYPE_CHECKING:
    from echotune.tools.context import Context

SEARCH_LIMIT = 10
"""Spotify serves at most 10 results per type since February 2026."""


class SearchInput(ToolInput):
    query: str = Field(min_length=1, max_length=200, description="Words to search for: title, artist, album.")
    kind: Literal["track", "artist", "album", "playlist", "all"] = Field(
        "track", description="What to search for; all: tracks, artists, albums and playlists."
    )
    limit: int = Field(5, ge=1, le=SEARCH_LIMIT, description="How many results per kind (Spotify allows 10).")

    @field_validator("query")
    @classmethod
    def _not_blank(cls, v: str) -> str:
        if not v.strip():
            raise ValueError("the query must not be blank")
        return v.strip()


class SearchOutput(PlayerAnswer):
    cli_hidden: ClassVar[tuple[str, ...]] = ("backend", "query")
    query: str
    tracks: list[TrackItem] = Field(default_factory=list)
    artists: list[ArtistInfo] = Field(default_factory=list)
    albums: list[AlbumInfo] = Field(default_factory=list)
    playlists: list[PlaylistInfo] = Field(default_factory=list)


@tool(
    open_world=True,
    cli=("spotify", "search"),
    cli_args=("query",),
    examples=(
        "search spotify for hey jude",
        "find the album abbey road",
        "look up the artist adele",
        "search for road trip playlists",
    ),
)
def spotify_search(ctx: Context, args: SearchInput) -> SearchOutput:
    """Search for tracks, artists, albums or playlists, to get uris to play, queue or add to playlists.
    Searches Spotify when an account is linked, else the local catalog."""
    player = ctx.player
    kinds = ["track", "artist", "album", "playlist"] if args.kind == "all" else [args.kind]
    found = player.search(args.query, kinds, args.limit)  # type: ignore[arg-type]
    n = len(found.tracks) + len(found.artists) + len(found.albums) + len(found.playlists)
    return SearchOutput(
        backend=player.backend,
        message=f"{n} result(s) for {args.query!r}. {on(player.backend)}",
        query=args.query,
        **found.model_dump(),
    )


class SyncInput(ToolInput):
    recent: bool = Field(True, description="Pull recently played tracks (Spotify keeps the last 50) as plays.")
    top: bool = Field(True, description="Pull your top tracks (4 weeks, 6 months, a year) into the catalog.")


class SyncOutput(PlayerAnswer):
    plays_added: int = Field(description="New plays stored.")
    plays_known: int = Field(description="Plays that were already stored (a sync is idempotent).")
    tracks_added: int = Field(description="Tracks new to the catalog (source spotify).")
    tracks_seen: int = Field(description="Distinct tracks in what Spotify returned.")
    history_off: bool = Field(
        False, description="True when plays were not stored because privacy.store_history is off."
    )


@tool(
    effect="act",
    idempotent=True,
    open_world=True,
    cli=("spotify", "sync"),
    examples=("sync my spotify history", "import what I played on spotify", "update my listening history from spotify"),
)
def spotify_sync(ctx: Context, args: SyncInput) -> SyncOutput:
    """Bring what you played on Spotify into EchoTune: recent plays into your history, tracks into the catalog.
    Recently played tracks become plays; they and your top tracks join the catalog. Safe to repeat."""
    from echotune.tools.catalog import ensure_catalog
    from echotune.tools.playback.spotify import SpotifyPlayer, catalog_track, parse_time
    from echotune.tools.settings import read_settings

    player = ctx.player
    if not isinstance(player, SpotifyPlayer):
        raise NotConfiguredError("Syncing needs a linked Spotify account.", hint="run `echotune spotify login`")
    steps = (1 if args.recent else 0) + (len(get_args(TimeRange)) if args.top else 0)
    done = 0
    tracks: dict[str, Track] = {}
    plays: list[Play] = []
    ctx.report("Syncing from Spotify", done, steps)
    if args.recent:
        for entry in player.recent_raw(50):
            track = catalog_track(entry.get("track") or {})
            if track is None or not entry.get("played_at"):
                continue
            tracks.setdefault(track.id, track)
            album = ((entry.get("track") or {}).get("album") or {}).get("name")
            plays.append(
                Play(
                    user=ctx.user,
                    played_at=parse_time(entry["played_at"]),
                    ms_played=track.duration_ms or 0,
                    track_id=track.id,
                    track_uri=track.uri,
                    title=track.title,
                    artist=track.artists[0].name if track.artists else "",
                    album=album,
                    source="spotify-sync",
                    extra={
                        "ms_played_estimated": True,
                        "context": (entry.get("context") or {}).get("uri"),
                    },
                )
            )
        done += 1
        ctx.report("Syncing from Spotify", done, steps)
    if args.top:
        for time_range in get_args(TimeRange):
            for obj in player.top_tracks_raw(time_range, 50):
                track = catalog_track(obj)
                if track is not None:
                    tracks.setdefault(track.id, track)
            done += 1
            ctx.report("Syncing from Spotify", done, steps)

    ensure_catalog(ctx)
    known = ctx.store.catalog.get_many(list(tracks))
    new = [t for t in tracks.values() if t.id not in known]
    if new:
        ctx.store.catalog.upsert(new)
        ctx.forget("catalog")
    history_off = not read_settings(ctx)[1].privacy.store_history
    added, duplicates = (0, 0) if history_off or not plays else ctx.store.plays.add(plays)
    ctx.store.meta.set(f"spotify.last_sync.{ctx.user}", ctx.clock().isoformat())
    note = " (plays not stored: privacy.store_history is off)" if history_off and plays else ""
    return SyncOutput(
        backend=player.backend,
        message=f"Synced: {added} new play(s), {duplicates} already known, {len(new)} new catalog track(s){note}. "
        f"{on(player.backend)}",
        plays_added=added,
        plays_known=duplicates,
        tracks_added=len(new),
        tracks_seen=len(tracks),
        history_off=history_off,
    )
