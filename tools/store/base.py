"""The store interfaces: one repository per aggregate, so no tool ever writes SQL or a Mongo query.

Every backend (SQLite now, MongoDB for scale-out) implements these protocols and passes the same contract
tests in tests/contract/.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from datetime import datetime
from typing import Any, Protocol

from echotune.tools.models import Event, Feedback, Play, SettingsChange, StoredSettings, Track
from echotune.tools.recommender.records import Exposure, OutcomeKind, VariantCounts


class CatalogRepo(Protocol):
    def count(self) -> int: ...
    def upsert(self, tracks: Iterable[Track]) -> int:
        """Insert or replace tracks by id, in one transaction; returns how many were written."""

    def get(self, track_id: str) -> Track | None: ...
    def get_many(self, track_ids: Sequence[str]) -> dict[str, Track]: ...
    def by_match_keys(self, keys: Sequence[str]) -> dict[str, str]:
        """Map normalised "title|artist" keys to track ids (see tools.text.match_key)."""

    def all(self) -> Iterator[Track]: ...


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
    def list(self, *, kind: str | None = None, since: datetime | None = None, limit: int = 1000) -> list[Event]: ...


class FeedbackRepo(Protocol):
    def add(self, feedback: Feedback) -> None: ...
    def for_user(self, user: str, since: datetime | None = None) -> list[Feedback]: ...


class PlaysRepo(Protocol):
    def add(self, plays: Sequence[Play]) -> tuple[int, int]:
        """Insert plays in one transaction, skipping ones already stored (same user, played_at, track_key);
        returns (inserted, duplicates)."""

    def list(
        self, user: str, *, since: datetime | None = None, until: datetime | None = None, limit: int | None = None
    ) -> list[Play]:
        """Plays with since <= played_at < until, newest first."""

    def count(self, user: str) -> int: ...
    def delete(self, user: str, *, before: datetime | None = None) -> int:
        """Delete a user's plays (all, or those before a time); returns how many."""


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

    def close(self) -> None: ...
