"""The store interfaces: one repository per aggregate, so no tool ever writes SQL or a Mongo query.

Every backend (SQLite now, MongoDB for scale-out) implements these protocols and passes the same contract
tests in tests/contract/.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:  # annotations only: opening a store (or a server's start-up) need not build every model
    from echotune.tools.models import (
        ApiToken,
        AuditEntry,
        CatalogEntry,
        Event,
        Feedback,
        ImportedFile,
        LocalPlaylist,
        Play,
        PlayBatch,
        PlayColumns,
        PlayIdentity,
        PlayItem,
        PlaylistEntry,
        PlayRecord,
        SavedEntry,
        SettingsChange,
        StoredSettings,
        Track,
    )
    from echotune.tools.recommender.records import Exposure, OutcomeKind, VariantCounts


class CatalogRepo(Protocol):
    def count(self) -> int: ...
    def upsert(self, tracks: Iterable[Track]) -> int:
        """Insert or replace tracks by id, in one transaction; returns how many were written."""

    def get(self, track_id: str) -> Track | None: ...
    def get_many(self, track_ids: Sequence[str]) -> dict[str, Track]: ...
    def existing(self, track_ids: Sequence[str]) -> set[str]:
        """Which of these track ids the catalog holds (cheap: no Track is built)."""

    def by_match_keys(self, keys: Sequence[str]) -> dict[str, str]:
        """Map normalised "title|artist" keys to track ids (see tools.text.match_key)."""

    def all(self) -> Iterator[Track]: ...
    def entries(self) -> Iterator[CatalogEntry]:
        """Every track, ordered by id, as the search index needs it (cheap: no Track is built)."""


class SettingsRepo(Protocol):
    def get(self, user: str) -> StoredSettings | None: ...
    def put(
        self, user: str, doc: dict[str, Any], *, expected_version: int, at: datetime, changes: Sequence[SettingsChange]
    ) -> StoredSettings:
        """Write `doc` as version expected_version + 1 iff the stored version is still `expected_version`
        (0: none stored yet). Raises ConflictError, carrying the current document, otherwise."""

    def history(self, user: str, limit: int = 50) -> list[SettingsChange]: ...


class EventsRepo(Protocol):
    def record(self, event: Event) -> None: ...
    def record_many(self, events: Sequence[Event]) -> None:
        """Write several events in one transaction (servers batch their analytics rows)."""

    def list(self, *, kind: str | None = None, since: datetime | None = None, limit: int = 1000) -> list[Event]: ...


class FeedbackRepo(Protocol):
    def add(self, feedback: Feedback) -> bool:
        """Store one reaction; False when one with the same event_id is already stored (nothing written).
        NotFoundError when the track is not in the catalog."""

    def for_user(self, user: str, since: datetime | None = None) -> list[Feedback]: ...


class PlaysRepo(Protocol):
    """Listening history. Every change to a user's plays bumps `revision(user)` in the same transaction."""

    def add(self, plays: Sequence[Play]) -> tuple[int, int]:
        """Insert plays in one transaction, skipping ones already stored (same user, played_at, track_key);
        returns (inserted, duplicates)."""

    def add_rows(
        self,
        rows: Sequence[PlayRecord],
        *,
        replace: Sequence[tuple[str, int, int, str]] = (),
        tracks: Sequence[Track] = (),
        remember: tuple[str, ImportedFile] | None = None,
        progress: Callable[[int], None] | None = None,
    ) -> int:
        """Bulk form of `add`, all in ONE transaction: upsert the catalog `tracks` the rows reference, remove
        the plays the rows supersede (`replace`: (user, played_at ms, seq, track_key)), insert the rows (skipping
        stored ones), and record `remember` (user, file) as fully imported. `progress(rows_written)` is called
        between chunks. Returns how many were inserted."""

    def add_batch(
        self,
        batch: PlayBatch,
        *,
        replace: Sequence[tuple[str, int, int, str]] = (),
        tracks: Sequence[Track] = (),
        remember: tuple[str, ImportedFile] | None = None,
        progress: Callable[[int], None] | None = None,
    ) -> int:
        """`add_rows` for plays in columnar form (one user), in ONE transaction; returns how many were inserted."""

    def imported_files(self, user: str, digests: Sequence[str]) -> dict[str, ImportedFile]:
        """Which of these file digests were fully imported for the user (and not deleted since)."""

    def identities(self, user: str, since: datetime, until: datetime) -> list[PlayIdentity]:
        """Identity of each play with since <= played_at < until (for recognising a play seen before)."""

    def list(
        self, user: str, *, since: datetime | None = None, until: datetime | None = None, limit: int | None = None
    ) -> list[Play]:
        """Plays with since <= played_at < until, newest first."""

    def items(self, user: str) -> list[PlayItem]:
        """What the user's plays were of (tracks, episodes, chapters), in a stable order: the order `columns`
        codes refer to, unchanged while `revision(user)` is."""

    def columns(self, user: str) -> PlayColumns:
        """All of a user's plays as parallel columns, oldest first (the history queries compute on these)."""

    def count(self, user: str) -> int: ...
    def users(self) -> list[str]:
        """Every user with at least one play."""

    def revision(self, user: str) -> int:
        """Changes whenever the user's plays change; 0 when they never had any."""

    def delete(self, user: str, *, before: datetime | None = None) -> int:
        """Delete a user's plays (all, or those before a time), and everything stored only for them (what was
        played, their contexts, the record of imported files); returns how many plays."""


class PlayerStateRepo(Protocol):
    """The local player's state document per user (now playing, position, queue, volume, ...)."""

    def get(self, user: str) -> tuple[int, dict[str, Any]] | None:
        """(version, document), or None when the user never played anything locally."""

    def put(self, user: str, doc: dict[str, Any], *, expected_version: int, at: datetime) -> int:
        """Write `doc` as version expected_version + 1 iff the stored version is still `expected_version`
        (0: none stored yet); returns the new version. Raises ConflictError otherwise."""


class LocalPlaylistsRepo(Protocol):
    """The local player's playlists and their ordered items."""

    def create(self, playlist: LocalPlaylist) -> None: ...
    def get(self, user: str, playlist_id: str) -> LocalPlaylist | None: ...
    def list(self, user: str, *, limit: int, offset: int = 0) -> tuple[list[LocalPlaylist], int]:
        """A page of a user's playlists, oldest first, and how many there are in all."""

    def add_items(self, playlist_id: str, track_ids: Sequence[str], *, position: int | None, at: datetime) -> int:
        """Insert tracks at `position` (None: at the end), in one transaction; returns how many."""

    def remove_items(self, playlist_id: str, track_ids: Sequence[str], *, at: datetime) -> int:
        """Remove every occurrence of these tracks; returns how many items went."""

    def items(self, playlist_id: str, *, limit: int, offset: int = 0) -> tuple[list[PlaylistEntry], int]: ...


class LibraryRepo(Protocol):
    """Tracks a user saved to their local library ("liked songs" of the local player)."""

    def save(self, user: str, track_ids: Sequence[str], at: datetime) -> int:
        """Save tracks not saved yet; returns how many were new."""

    def remove(self, user: str, track_ids: Sequence[str]) -> int: ...
    def list(self, user: str, *, limit: int, offset: int = 0) -> tuple[list[SavedEntry], int]:
        """Newest first, and how many there are in all."""


class TokensRepo(Protocol):
    """MCP bearer tokens, found by the SHA-256 of the presented token (the token itself is never stored)."""

    def add(self, token: ApiToken, token_sha256: str) -> None: ...
    def by_hash(self, token_sha256: str) -> ApiToken | None: ...
    def list(self, *, user: str | None = None, include_revoked: bool = False) -> list[ApiToken]: ...
    def revoke(self, token_id: str, at: datetime) -> bool:
        """Mark a token revoked; False when no live token has that id."""

    def touch(self, token_id: str, at: datetime) -> None:
        """Remember when the token was last used."""


class AuditRepo(Protocol):
    """The audit log of acting and destructive tool calls."""

    def record(self, entry: AuditEntry) -> None: ...
    def list(self, *, user: str | None = None, since: datetime | None = None, limit: int = 100) -> list[AuditEntry]:
        """Newest first."""


class ABRepo(Protocol):
    """The recommender's A/B exposures and outcomes (issue 4)."""

    def expose(self, exposures: Sequence[Exposure]) -> None:
        """Record the tracks one recommendation list showed, in one transaction."""

    def latest_exposure(self, user: str, track_id: str, *, since: datetime) -> Exposure | None:
        """The newest exposure of `track_id` to `user` at or after `since`, or None."""

    def record_outcome(self, exposure_id: int, kind: OutcomeKind, at: datetime) -> bool:
        """Note what the user did with an exposed track; False when that outcome was already recorded."""

    def exposed_users(self, experiment: str) -> list[tuple[str, datetime]]:
        """Users with exposures in `experiment` and the time of their first one."""

    def counts(self, experiment: str) -> list[VariantCounts]:
        """Per variant: users, lists, exposures and outcomes."""

    def delete_user(self, user: str) -> int:
        """Forget a user's exposures and their outcomes; returns how many exposures."""

    def listeners(self) -> list[str]:
        """Every user with stored plays (the collaborative signal of "listeners like you")."""


class MetaRepo(Protocol):
    """Small key/value facts about the store itself (e.g. which catalog build is loaded)."""

    def get(self, key: str) -> str | None: ...
    def set(self, key: str, value: str) -> None: ...


class Store(Protocol):
    backend: str
    location: str
    schema_version: int
    catalog: CatalogRepo
    settings: SettingsRepo
    events: EventsRepo
    feedback: FeedbackRepo
    plays: PlaysRepo
    ab: ABRepo
    meta: MetaRepo
    player_state: PlayerStateRepo
    local_playlists: LocalPlaylistsRepo
    library: LibraryRepo
    tokens: TokensRepo
    audit: AuditRepo

    def close(self) -> None: ...
