"""What both players answer with: tracks, devices, playback state, playlists, artists and albums.

Spotify's JSON and the local player's store rows are both turned into these, so a tool's output has one shape
whichever backend served it (and says which one in its `backend` field).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import ClassVar, Generic, Literal, TypeVar

from pydantic import BaseModel, Field, computed_field

from echotune.tools.models import Track

Backend = Literal["spotify", "local"]
RepeatState = Literal["off", "track", "context"]
TimeRange = Literal["short_term", "medium_term", "long_term"]
LOCAL_DEVICE_ID = "echotune-local"
LOCAL_DEVICE_NAME = "EchoTune local"


def mmss(ms: int | None) -> str:
    if ms is None:
        return ""
    s = ms // 1000
    return f"{s // 3600}:{s // 60 % 60:02d}:{s % 60:02d}" if s >= 3600 else f"{s // 60}:{s % 60:02d}"


class TrackItem(BaseModel):
    """A track as a player shows it."""

    table_columns: ClassVar[tuple[str, ...]] = ("title", "artists", "album", "length", "uri")

    id: str = Field(description="Track id (Spotify's, or a local id).")
    uri: str | None = Field(None, description="spotify:track:<id>, when the track is on Spotify.")
    title: str
    artists: str = Field(description="Credited artists, comma-separated.")
    album: str | None = None
    duration_ms: int | None = None
    explicit: bool = False

    @computed_field  # type: ignore[prop-decorator]
    @property
    def length(self) -> str:
        return mmss(self.duration_ms)

    def label(self) -> str:
        return f"{self.title} — {self.artists}"

    @classmethod
    def of_track(cls, track: Track) -> TrackItem:
        return cls(
            id=track.id,
            uri=track.uri,
            title=track.title,
            artists=track.artist_names,
            duration_ms=track.duration_ms,
            explicit=track.explicit,
        )


class Device(BaseModel):
    """A device that can play: a phone, computer or speaker running Spotify, or EchoTune's local player."""

    table_columns: ClassVar[tuple[str, ...]] = ("name", "type", "is_active", "volume_percent", "id")

    id: str
    name: str
    type: str = Field(description="Computer, Smartphone, Speaker, ...")
    is_active: bool = False
    is_restricted: bool = False
    volume_percent: int | None = None
    supports_volume: bool = True


class PlaybackState(BaseModel):
    """What is playing, where, and how."""

    is_playing: bool
    item: TrackItem | None = None
    progress_ms: int | None = None
    device: Device | None = None
    shuffle: bool = False
    repeat: RepeatState = "off"
    context_uri: str | None = Field(None, description="The album, playlist or artist being played, if any.")

    @computed_field  # type: ignore[prop-decorator]
    @property
    def progress(self) -> str:
        if self.item is None:
            return ""
        return f"{mmss(self.progress_ms or 0)} / {self.item.length}"


class PlaylistInfo(BaseModel):
    table_columns: ClassVar[tuple[str, ...]] = ("name", "tracks", "owner", "public", "id")

    id: str
    uri: str = Field(description="spotify:playlist:<id>, or echotune:playlist:<id> for a local playlist.")
    name: str
    description: str | None = None
    owner: str | None = None
    public: bool | None = None
    tracks: int | None = Field(None, description="How many items the playlist holds.")


class ArtistInfo(BaseModel):
    table_columns: ClassVar[tuple[str, ...]] = ("name", "genres", "plays", "id")

    id: str | None = None
    uri: str | None = None
    name: str
    genres: list[str] = Field(default_factory=list)
    plays: int | None = Field(None, description="Plays counted in the local history (local player only).")


class AlbumInfo(BaseModel):
    table_columns: ClassVar[tuple[str, ...]] = ("name", "artists", "year", "tracks", "id")

    id: str
    uri: str
    name: str
    artists: str
    year: int | None = None
    tracks: int | None = None


class SavedTrack(BaseModel):
    table_columns: ClassVar[tuple[str, ...]] = ("added_at", "title", "artists", "length", "uri")

    added_at: datetime | None = None
    title: str
    artists: str
    length: str = ""
    uri: str | None = None
    track: TrackItem


class RecentPlay(BaseModel):
    table_columns: ClassVar[tuple[str, ...]] = ("played_at", "title", "artists", "uri")

    played_at: datetime
    title: str
    artists: str
    uri: str | None = None
    track: TrackItem


class TopTrack(BaseModel):
    table_columns: ClassVar[tuple[str, ...]] = ("rank", "title", "artists", "plays", "uri")

    rank: int
    title: str
    artists: str
    uri: str | None = None
    plays: int | None = Field(None, description="Plays counted in the local history (local player only).")
    track: TrackItem


class SearchResults(BaseModel):
    tracks: list[TrackItem] = Field(default_factory=list)
    artists: list[ArtistInfo] = Field(default_factory=list)
    albums: list[AlbumInfo] = Field(default_factory=list)
    playlists: list[PlaylistInfo] = Field(default_factory=list)


T = TypeVar("T")


@dataclass
class Page(Generic[T]):
    """One page of a longer list: the items, and how many there are in all."""

    items: list[T] = field(default_factory=list)
    total: int = 0


@dataclass(frozen=True)
class PlayTarget:
    """What to play, already validated: track uris, a context (album/playlist/artist), text to search, or
    nothing (resume)."""

    uris: tuple[str, ...] = ()
    context_uri: str | None = None
    query: str | None = None
    query_kind: Literal["track", "album", "playlist", "artist"] = "track"

    @property
    def is_resume(self) -> bool:
        return not (self.uris or self.context_uri or self.query)


@dataclass
class PlayOutcome:
    """What a play command started, as far as the backend knows."""

    playing: list[TrackItem] = field(default_factory=list)
    context: str | None = None
    device: str | None = None
    state: PlaybackState | None = None
