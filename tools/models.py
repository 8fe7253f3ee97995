"""Domain records shared by services and stores: tracks, settings versions, events, feedback.

Tool input and output models live beside their tools; these are the things the stores hold.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime
from typing import Annotated, Any, ClassVar, Literal, NamedTuple, Protocol

from pydantic import BaseModel, ConfigDict, Field, field_validator

SPOTIFY_ID = re.compile(r"^[0-9A-Za-z]{22}$")
TrackSource = Literal["bundled", "learnt", "spotify"]


class ArtistRef(BaseModel):
    """An artist as credited on a track."""

    model_config = ConfigDict(frozen=True)

    id: str | None = Field(None, description="Spotify artist id, when known.")
    name: str = Field(description="Artist name as credited.")


class AudioFeatures(BaseModel):
    """Spotify's audio features (no longer served to new apps; the bundled catalog carries them)."""

    model_config = ConfigDict(frozen=True)

    acousticness: float = Field(ge=0, le=1)
    danceability: float = Field(ge=0, le=1)
    energy: float = Field(ge=0, le=1)
    instrumentalness: float = Field(ge=0, le=1)
    liveness: float = Field(ge=0, le=1)
    speechiness: float = Field(ge=0, le=1)
    valence: float = Field(ge=0, le=1)
    loudness: float = Field(description="Average loudness in dB, typically -60..0.")
    tempo: float = Field(ge=0, description="Beats per minute.")
    key: int = Field(ge=-1, le=11)
    mode: int = Field(ge=0, le=1)
    time_signature: int = Field(ge=0, le=7)


class Track(BaseModel):
    """A playable track: from the bundled catalog, learnt from history, or seen on Spotify."""

    id: str = Field(description="Spotify track id (22 base62 characters) or a local id for learnt tracks.")
    uri: str | None = Field(None, description="spotify:track:<id>, when the track exists on Spotify.")
    title: str
    artists: list[ArtistRef]
    album_id: str | None = None
    year: int | None = None
    genres: list[str] = Field(default_factory=list)
    popularity: int | None = Field(None, ge=0, le=100)
    explicit: bool = False
    duration_ms: int | None = Field(None, ge=0)
    features: AudioFeatures | None = None
    source: TrackSource = "bundled"

    @property
    def artist_names(self) -> str:
        return ", ".join(a.name for a in self.artists)

    def label(self) -> str:
        """ "Title — Artist (year)": how a person names a track."""
        year = f" ({self.year})" if self.year else ""
        return f"{self.title} — {self.artist_names}{year}"


class CatalogEntry(NamedTuple):
    """A track as the catalog's search index and statistics need it: every field but the audio features, the
    uri and the duration, and no pydantic model (building 20,000 Tracks costs about a second)."""

    id: str
    title: str
    artist_ids: tuple[str | None, ...]
    artist_names: tuple[str, ...]
    album_id: str | None
    year: int | None
    genres: tuple[str, ...]
    popularity: int | None
    explicit: bool
    has_features: bool
    source: str

    @classmethod
    def of(cls, track: Track) -> CatalogEntry:
        return cls(
            track.id, track.title, tuple(a.id for a in track.artists), tuple(a.name for a in track.artists),
            track.album_id, track.year, tuple(track.genres), track.popularity, track.explicit,
            track.features is not None, track.source,
        )  # fmt: skip


class StoredSettings(BaseModel):
    """One user's settings document as stored, with the version every write must quote."""

    user: str
    version: Annotated[int, Field(ge=0)]
    doc: dict[str, Any]
    updated_at: datetime | None = None


class SettingsChange(BaseModel):
    """One changed key in one settings write: the audit trail behind `settings history`."""

    table_columns: ClassVar[tuple[str, ...]] = ("version", "at", "key", "old", "new")

    user: str
    version: int = Field(description="The version this change produced.")
    at: datetime
    key: str
    old: Any = None
    new: Any = None


EventOutcome = Literal["ok", "error"]


class Event(BaseModel):
    """Something the system did: a tool call, a provider request. System analytics read these."""

    at: datetime
    user: str
    kind: str = Field(description="tool | llm | …")
    name: str = Field(description="Tool name or provider/model.")
    face: str = Field("python", description="cli | agent | mcp | python: who made the call.")
    duration_ms: float | None = None
    outcome: EventOutcome = "ok"
    error_code: str | None = None
    provider: str | None = None
    tokens_in: int | None = None
    tokens_out: int | None = None
    cost_usd: float | None = None
    data: dict[str, Any] = Field(default_factory=dict)


PlayKind = Literal["music", "podcast", "audiobook"]


class Play(BaseModel):
    """One play of a track (or episode): from an imported export, the local player, or Spotify."""

    user: str
    played_at: datetime = Field(description="When playback ended (Spotify's `ts` / `endTime`), timezone-aware.")
    ms_played: int = Field(ge=0)
    track_id: str | None = Field(None, description="The catalog track, when linked.")
    track_uri: str | None = None
    title: str
    artist: str
    album: str | None = None
    kind: PlayKind = "music"
    skipped: bool = False
    source: str = "import"
    exact: bool = Field(
        True, description="played_at is exact; False when the source gives only the minute (Spotify Account data)."
    )
    seq: int = Field(0, ge=0, description="For minute-precise plays: the n-th play of this track in that minute.")
    extra: dict[str, Any] = Field(default_factory=dict)

    @property
    def match_key(self) -> str:
        """Normalised "title|artist": how the same track is recognised without a uri."""
        from echotune.tools.text import match_key

        return match_key(self.title, self.artist)

    @property
    def track_key(self) -> str:
        """What identifies the track of this play: its uri, else normalised title and artist."""
        return self.track_uri or self.match_key

    def row(self) -> PlayRow:
        """The storage form (what bulk writers build directly, without a model per play)."""
        from echotune.tools.store.sqlite import epoch_ms

        return PlayRow(
            self.user, epoch_ms(self.played_at), self.seq, self.ms_played, self.track_id, self.track_uri, self.title,
            self.artist, self.album, self.kind, self.skipped, self.source, self.exact, self.extra, self.track_key,
            self.match_key,
        )  # fmt: skip


class PlayRow(NamedTuple):
    """A play as the stores take it: the fields of Play with played_at as UTC epoch milliseconds, plus its
    identity keys. Importers build these directly (a pydantic model per play costs too much at 200K plays)."""

    user: str
    played_at: int
    seq: int
    ms_played: int
    track_id: str | None
    track_uri: str | None
    title: str
    artist: str
    album: str | None
    kind: str
    skipped: bool
    source: str
    exact: bool
    extra: dict[str, Any]
    track_key: str
    match_key: str


class PlayRecord(Protocol):
    """Anything with the attributes of a PlayRow: what `PlaysRepo.add_rows` reads (importers pass their own
    records rather than build a PlayRow per play)."""

    user: str
    played_at: int
    seq: int
    ms_played: int
    track_id: str | None
    track_uri: str | None
    title: str
    artist: str
    album: str | None
    kind: str
    skipped: bool
    source: str
    exact: bool
    extra: dict[str, Any]
    track_key: str
    match_key: str


BatchPlay = tuple[int, int, int, int, bool, bool, int]
"""One play of a PlayBatch: (played_at ms, item index, seq, ms_played, skipped, exact, extra index or -1)."""


class BatchItem(NamedTuple):
    """What plays of a PlayBatch were of (one per distinct track_key), and the catalog track it links to."""

    track_key: str
    kind: str
    uri: str | None
    title: str
    artist: str
    album: str | None
    match_key: str
    track_id: str | None = None


@dataclass
class PlayBatch:
    """Many plays of one user in columnar form, as an importer writes them (`PlaysRepo.add_batch`): each distinct
    item and context once, each play a tuple of numbers. 200,000 plays cost 200,000 small tuples, not objects."""

    user: str
    source: str
    items: list[BatchItem]
    extras: list[dict[str, Any]]
    plays: list[BatchPlay]


class PlayIdentity(NamedTuple):
    """What tells one stored play from another (for one user): played_at, track_key and seq; match_key and
    exact let an import recognise a play it saw before in another layout (minute precision, no uri)."""

    played_at: int
    seq: int
    track_key: str
    match_key: str
    exact: bool


class ImportedFile(NamedTuple):
    """An export file whose every record is stored: importing the same content again adds nothing."""

    digest: str
    file: str
    records: int
    imported_at: datetime


class PlayItem(NamedTuple):
    """What a play was of, as its source named it."""

    track_key: str
    kind: str
    uri: str | None
    title: str
    artist: str
    album: str | None
    track_id: str | None


@dataclass
class PlayColumns:
    """A user's plays as parallel columns, oldest first: what the history queries compute on.
    `item[i]` is an index into `items`."""

    played_at: list[int] = field(default_factory=list)
    ms_played: list[int] = field(default_factory=list)
    item: list[int] = field(default_factory=list)
    skipped: list[bool] = field(default_factory=list)
    items: list[PlayItem] = field(default_factory=list)

    def __len__(self) -> int:
        return len(self.played_at)


FeedbackKind = Literal["like", "dislike", "skip"]


class Feedback(BaseModel):
    """A person's reaction to a track; the recommender moves their taste with it."""

    user: str
    track_id: str
    kind: FeedbackKind
    at: datetime
    event_id: str | None = Field(None, description="Set for feedback that travels as an event: stored once.")

    @field_validator("track_id")
    @classmethod
    def _not_blank(cls, v: str) -> str:
        if not v.strip():
            raise ValueError("track_id must not be empty")
        return v


class LocalPlaylist(BaseModel):
    """A playlist of the local player (used when no Spotify account is linked)."""

    id: str = Field(description="22 base62 characters, like a Spotify id.")
    user: str
    name: str
    description: str | None = None
    public: bool = False
    created_at: datetime
    updated_at: datetime
    tracks: int = Field(0, ge=0, description="How many items it holds (filled in by the store).")


class PlaylistEntry(BaseModel):
    """One item of a local playlist, in order."""

    position: int = Field(ge=0)
    track_id: str
    added_at: datetime


class SavedEntry(BaseModel):
    """A track saved to a user's local library."""

    track_id: str
    saved_at: datetime


TokenScope = Literal["read", "control", "admin"]


class ApiToken(BaseModel):
    """An MCP bearer token as stored: who it acts for and what it may do. The secret itself is never stored."""

    table_columns: ClassVar[tuple[str, ...]] = ("id", "user", "scope", "label", "created_at", "last_used_at", "revoked")

    id: str = Field(description="Public token id (also part of the token), used to list and revoke it.")
    user: str = Field(description="Whose data every call made with this token acts on.")
    scope: TokenScope = Field(description="read: read-only tools; control: also playback and playlists; admin: all.")
    label: str = ""
    rate_per_min: int = Field(ge=1, description="Calls per minute this token may make before it gets 429.")
    created_at: datetime
    last_used_at: datetime | None = None
    revoked_at: datetime | None = None

    @property
    def revoked(self) -> bool:
        return self.revoked_at is not None


class AuditEntry(BaseModel):
    """One acting or destructive tool call: who, through which face and token, with which arguments, and how
    it ended."""

    at: datetime
    user: str
    face: str
    tool: str
    effect: Literal["act", "destroy"]
    token_id: str | None = None
    scope: str | None = None
    arguments: dict[str, Any] = Field(default_factory=dict)
    outcome: EventOutcome = "ok"
    error_code: str | None = None
