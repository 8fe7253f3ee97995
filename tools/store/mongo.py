"""The MongoDB backend: the same repositories as SQLite, for many users on many machines.

Collections and indexes are declared here in code (`INDEXES`) and created at open. Writes that span
documents (a settings version and its change log) run in a transaction. Every collection is keyed by user
first, so a sharded cluster would shard on `user` (see README, "Scaling out").
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from echotune.tools.errors import ConflictError, NotConfiguredError, NotFoundError, UpstreamError
from echotune.tools.models import Event, Feedback, Play, SettingsChange, StoredSettings, Track
from echotune.tools.text import match_key

if TYPE_CHECKING:
    from pymongo import MongoClient
    from pymongo.database import Database

SCHEMA_VERSION = 1
"""Bumped when collections or documents change shape; a database with a newer version is refused."""

INDEXES: dict[str, list[tuple[list[tuple[str, int]], dict[str, Any]]]] = {
    "tracks": [([("match_key", 1)], {})],
    "settings_changes": [([("user", 1), ("version", -1)], {})],
    "events": [([("kind", 1), ("at", -1)], {}), ([("user", 1), ("at", -1)], {})],
    "feedback": [([("user", 1), ("at", 1)], {})],
    "plays": [
        ([("user", 1), ("played_at", 1), ("track_key", 1)], {"unique": True, "name": "play_identity"}),
        ([("user", 1), ("track_id", 1)], {}),
    ],
}


def _utc(value: datetime) -> datetime:
    """BSON dates are naive UTC; give them their timezone back."""
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value


def _aware(value: datetime) -> datetime:
    if value.tzinfo is None:
        raise ValueError("naive datetimes are not stored: pass an aware UTC datetime")
    return value.astimezone(UTC)


class MongoStore:
    """All repositories over one MongoDB database."""

    backend = "mongo"

    def __init__(self, uri: str, database: str = "echotune", *, timeout_ms: int = 5000):
        from pymongo import MongoClient
        from pymongo.errors import PyMongoError

        self.client: MongoClient[dict[str, Any]] = MongoClient(
            uri, serverSelectionTimeoutMS=timeout_ms, tz_aware=True, uuidRepresentation="standard"
        )
        self.db: Database[dict[str, Any]] = self.client[database]
        self.location = f"{_redact(uri)} db={database}"
        try:
            self.schema_version = self._prepare()
        except PyMongoError as exc:
            self.client.close()
            raise NotConfiguredError(
                f"Cannot use MongoDB at {_redact(uri)}: {exc}", hint="check ECHOTUNE_MONGO_URI and that the server runs"
            ) from exc
        except BaseException:
            self.client.close()
            raise
        self.catalog = MongoCatalog(self)
        self.settings = MongoSettings(self)
        self.events = MongoEvents(self)
        self.feedback = MongoFeedback(self)
        self.plays = MongoPlays(self)
        self.meta = MongoMeta(self)
        from echotune.tools.store.mongo_player import attach_player_repos

        attach_player_repos(self)

    def _prepare(self) -> int:
        meta = self.db["meta"]
        found = meta.find_one({"_id": "schema_version"})
        current = int(found["value"]) if found else 0
        if current > SCHEMA_VERSION:
            raise NotConfiguredError(
                f"The MongoDB database {self.db.name} has schema version {current}; this EchoTune knows up to "
                f"{SCHEMA_VERSION}: it was written by a newer EchoTune.",
                hint="upgrade EchoTune, or use another database (ECHOTUNE_MONGO_DB)",
            )
        for collection, indexes in INDEXES.items():
            for keys, options in indexes:
                self.db[collection].create_index(keys, **options)
        meta.update_one({"_id": "schema_version"}, {"$set": {"value": str(SCHEMA_VERSION)}}, upsert=True)
        return SCHEMA_VERSION

    def transaction(self) -> Any:
        """A session with a transaction started (use `with store.transaction() as s:` and pass session=s)."""
        return _Transaction(self.client)

    def close(self) -> None:
        self.client.close()


class _Transaction:
    def __init__(self, client: MongoClient[dict[str, Any]]):
        self.client = client

    def __enter__(self) -> Any:
        self.session = self.client.start_session()
        self.session.start_transaction()
        return self.session

    def __exit__(self, exc_type: Any, exc: Any, tb: Any) -> None:
        try:
            if exc_type is None:
                self.session.commit_transaction()
            else:
                self.session.abort_transaction()
        finally:
            self.session.end_session()


def _redact(uri: str) -> str:
    """A URI without its password, for messages."""
    if "@" not in uri:
        return uri
    scheme, rest = uri.split("://", 1)
    creds, host = rest.rsplit("@", 1)
    return f"{scheme}://{creds.split(':', 1)[0]}:***@{host}"


class MongoCatalog:
    def __init__(self, store: MongoStore):
        self.c = store.db["tracks"]

    def count(self) -> int:
        return self.c.estimated_document_count()

    def upsert(self, tracks: Iterable[Track]) -> int:
        from pymongo import ReplaceOne

        ops = []
        for t in tracks:
            doc = t.model_dump(mode="json")
            doc["_id"] = doc.pop("id")
            doc["match_key"] = match_key(t.title, t.artists[0].name if t.artists else "")
            ops.append(ReplaceOne({"_id": doc["_id"]}, doc, upsert=True))
        if ops:
            self.c.bulk_write(ops, ordered=True)
        return len(ops)

    @staticmethod
    def _track(doc: dict[str, Any]) -> Track:
        doc = dict(doc)
        doc["id"] = doc.pop("_id")
        doc.pop("match_key", None)
        return Track.model_validate(doc)

    def get(self, track_id: str) -> Track | None:
        doc = self.c.find_one({"_id": track_id})
        return self._track(doc) if doc else None

    def get_many(self, track_ids: Sequence[str]) -> dict[str, Track]:
        return {d["_id"]: self._track(d) for d in self.c.find({"_id": {"$in": list(dict.fromkeys(track_ids))}})}

    def by_match_keys(self, keys: Sequence[str]) -> dict[str, str]:
        out: dict[str, str] = {}
        for d in self.c.find({"match_key": {"$in": list(dict.fromkeys(keys))}}, {"match_key": 1}).sort("_id", 1):
            out.setdefault(d["match_key"], d["_id"])
        return out

    def all(self) -> Iterator[Track]:
        for doc in self.c.find({}).sort("_id", 1):
            yield self._track(doc)


class MongoSettings:
    def __init__(self, store: MongoStore):
        self.store = store
        self.c = store.db["settings"]
        self.changes = store.db["settings_changes"]

    def get(self, user: str) -> StoredSettings | None:
        doc = self.c.find_one({"_id": user})
        if doc is None:
            return None
        return StoredSettings(user=user, version=doc["version"], doc=doc["doc"], updated_at=_utc(doc["updated_at"]))

    def put(
        self, user: str, doc: dict[str, Any], *, expected_version: int, at: datetime, changes: Sequence[SettingsChange]
    ) -> StoredSettings:
        from pymongo.errors import DuplicateKeyError, OperationFailure

        new_version = expected_version + 1
        try:
            with self.store.transaction() as session:
                if expected_version == 0:
                    try:
                        self.c.insert_one(
                            {"_id": user, "version": 1, "doc": doc, "updated_at": _aware(at)}, session=session
                        )
                        written = True
                    except DuplicateKeyError:
                        written = False
                else:
                    written = (
                        self.c.find_one_and_update(
                            {"_id": user, "version": expected_version},
                            {"$set": {"version": new_version, "doc": doc, "updated_at": _aware(at)}},
                            session=session,
                        )
                        is not None
                    )
                if written and changes:
                    self.changes.insert_many(
                        [
                            {
                                "user": user,
                                "version": new_version,
                                "at": _aware(c.at),
                                "key": c.key,
                                "old": c.old,
                                "new": c.new,
                            }
                            for c in changes
                        ],
                        session=session,
                    )
        except OperationFailure as exc:
            if not exc.has_error_label("TransientTransactionError"):
                raise UpstreamError(f"MongoDB refused the settings write: {exc}") from exc
            written = False  # a concurrent transaction touched the same document: the loser reports a conflict
        if not written:
            current = self.get(user)
            raise ConflictError(
                f"Settings of {user!r} changed since you read them: you read version {expected_version}, "
                f"they are now at version {current.version if current else 0}.",
                hint="read them again (`echotune settings show`) and repeat your change",
                details={
                    "expected_version": expected_version,
                    "current": current.model_dump(mode="json") if current else None,
                },
            )
        return StoredSettings(user=user, version=new_version, doc=doc, updated_at=at)

    def history(self, user: str, limit: int = 50) -> list[SettingsChange]:
        cursor = self.changes.find({"user": user}).sort([("version", -1), ("_id", -1)]).limit(limit)
        return [
            SettingsChange(user=user, version=d["version"], at=_utc(d["at"]), key=d["key"], old=d["old"], new=d["new"])
            for d in cursor
        ]


class MongoEvents:
    def __init__(self, store: MongoStore):
        self.c = store.db["events"]

    def record(self, event: Event) -> None:
        doc = event.model_dump()
        doc["at"] = _aware(event.at)
        self.c.insert_one(doc)

    def list(self, *, kind: str | None = None, since: datetime | None = None, limit: int = 1000) -> list[Event]:
        query: dict[str, Any] = {}
        if kind:
            query["kind"] = kind
        if since:
            query["at"] = {"$gte": _aware(since)}
        out = []
        for doc in self.c.find(query, {"_id": 0}).sort([("at", -1), ("_id", -1)]).limit(limit):
            doc["at"] = _utc(doc["at"])
            out.append(Event.model_validate(doc))
        return out


class MongoFeedback:
    def __init__(self, store: MongoStore):
        self.c = store.db["feedback"]
        self.tracks = store.db["tracks"]

    def add(self, feedback: Feedback) -> None:
        if self.tracks.count_documents({"_id": feedback.track_id}, limit=1) == 0:
            raise NotFoundError(f"No track {feedback.track_id} in the catalog", hint="give feedback on a known track")
        self.c.insert_one({**feedback.model_dump(), "at": _aware(feedback.at)})

    def for_user(self, user: str, since: datetime | None = None) -> list[Feedback]:
        query: dict[str, Any] = {"user": user}
        if since:
            query["at"] = {"$gte": _aware(since)}
        return [
            Feedback(user=user, track_id=d["track_id"], kind=d["kind"], at=_utc(d["at"]))
            for d in self.c.find(query).sort([("at", 1), ("_id", 1)])
        ]


class MongoPlays:
    def __init__(self, store: MongoStore):
        self.c = store.db["plays"]

    def add(self, plays: Sequence[Play]) -> tuple[int, int]:
        from pymongo.errors import BulkWriteError

        docs = [{**p.model_dump(), "played_at": _aware(p.played_at), "track_key": p.track_key} for p in plays]
        if not docs:
            return 0, 0
        try:
            inserted = len(self.c.insert_many(docs, ordered=False).inserted_ids)
        except BulkWriteError as exc:
            dup = [e for e in exc.details.get("writeErrors", []) if e.get("code") == 11000]
            if len(dup) != len(exc.details.get("writeErrors", [])):
                raise
            inserted = exc.details.get("nInserted", 0)
        return inserted, len(docs) - inserted

    def list(
        self, user: str, *, since: datetime | None = None, until: datetime | None = None, limit: int | None = None
    ) -> list[Play]:
        query: dict[str, Any] = {"user": user}
        window: dict[str, Any] = {}
        if since:
            window["$gte"] = _aware(since)
        if until:
            window["$lt"] = _aware(until)
        if window:
            query["played_at"] = window
        cursor = self.c.find(query, {"_id": 0, "track_key": 0}).sort([("played_at", -1), ("_id", -1)])
        if limit is not None:
            cursor = cursor.limit(limit)
        out = []
        for doc in cursor:
            doc["played_at"] = _utc(doc["played_at"])
            out.append(Play.model_validate(doc))
        return out

    def count(self, user: str) -> int:
        return self.c.count_documents({"user": user})

    def delete(self, user: str, *, before: datetime | None = None) -> int:
        query: dict[str, Any] = {"user": user}
        if before:
            query["played_at"] = {"$lt": _aware(before)}
        return self.c.delete_many(query).deleted_count


class MongoMeta:
    def __init__(self, store: MongoStore):
        self.c = store.db["meta"]

    def get(self, key: str) -> str | None:
        doc = self.c.find_one({"_id": key})
        return doc["value"] if doc else None

    def set(self, key: str, value: str) -> None:
        self.c.update_one({"_id": key}, {"$set": {"value": value}}, upsert=True)
