"""The MongoDB backend: the same repositories as SQLite, for many users on many machines.

Collections and indexes are declared here in code (`INDEXES`) and created at open. Writes that span
documents (a settings version and its change log) run in a transaction. Every collection is keyed by user
first, so a sharded cluster would shard on `user` (see README, "Scaling out").
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from echotune.tools.errors import ConflictError, NotConfiguredError, NotFoundError, UpstreamError
from echotune.tools.models import (
    CatalogEntry,
    Event,
    Feedback,
    ImportedFile,
    Play,
    PlayBatch,
    PlayColumns,
    PlayIdentity,
    PlayItem,
    PlayRecord,
    PlayRow,
    SettingsChange,
    StoredSettings,
    Track,
)
from echotune.tools.store.sqlite import epoch_ms, from_epoch_ms
from echotune.tools.text import match_key

if TYPE_CHECKING:
    from pymongo import MongoClient
    from pymongo.database import Database

_CHUNK = 5000
SCHEMA_VERSION = 1
"""Bumped when collections or documents change shape; a database with a newer version is refused."""

INDEXES: dict[str, list[tuple[list[tuple[str, int]], dict[str, Any]]]] = {
    "tracks": [([("match_key", 1)], {})],
    "settings_changes": [([("user", 1), ("version", -1)], {})],
    "events": [([("kind", 1), ("at", -1)], {}), ([("user", 1), ("at", -1)], {})],
    "feedback": [([("user", 1), ("at", 1)], {}), ([("event_id", 1)], {"unique": True, "sparse": True})],
    "plays": [
        ([("user", 1), ("played_at", 1), ("track_key", 1), ("seq", 1)], {"unique": True, "name": "play_identity"}),
        ([("user", 1), ("track_key", 1)], {}),
    ],
    "play_imports": [([("user", 1), ("digest", 1)], {"unique": True})],
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
        from echotune.tools.store.mongo_mcp import MongoAudit, MongoTokens

        self.tokens = MongoTokens(self)
        self.audit = MongoAudit(self)
        from echotune.tools.store.mongo_recommend import MongoAB

        self.ab = MongoAB(self)
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
        from echotune.tools.store.mongo_mcp import INDEXES as MCP_INDEXES
        from echotune.tools.store.mongo_recommend import INDEXES as AB_INDEXES

        for collection, indexes in (INDEXES | MCP_INDEXES | AB_INDEXES).items():
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

    def upsert(self, tracks: Iterable[Track], *, session: Any = None) -> int:
        """New tracks go in with one bulk insert; only tracks already stored are replaced one by one."""
        from pymongo import InsertOne, ReplaceOne
        from pymongo.errors import BulkWriteError

        docs = []
        for t in tracks:
            doc = t.model_dump(mode="json")
            doc["_id"] = doc.pop("id")
            doc["match_key"] = match_key(t.title, t.artists[0].name if t.artists else "")
            docs.append(doc)
        docs = list({d["_id"]: d for d in docs}.values())
        stored = set()
        for i in range(0, len(docs), _CHUNK):
            ids = [d["_id"] for d in docs[i : i + _CHUNK]]
            stored.update(d["_id"] for d in self.c.find({"_id": {"$in": ids}}, {"_id": 1}, session=session))
        ops = [ReplaceOne({"_id": d["_id"]}, d) if d["_id"] in stored else InsertOne(d) for d in docs]
        if not ops:
            return 0
        try:
            self.c.bulk_write(ops, ordered=False, session=session)
        except BulkWriteError as exc:
            # Another process inserted some of these meanwhile (two servers loading the catalog at once):
            # replace those; any other write error is real.
            errors = exc.details.get("writeErrors", [])
            if session is not None or any(e.get("code") != 11000 for e in errors):
                raise
            self.c.bulk_write([ReplaceOne({"_id": docs[e["index"]]["_id"]}, docs[e["index"]]) for e in errors])
        return len(ops)

    def existing(self, track_ids: Sequence[str]) -> set[str]:
        return {d["_id"] for d in self.c.find({"_id": {"$in": list(dict.fromkeys(track_ids))}}, {"_id": 1})}

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

    def entries(self) -> Iterator[CatalogEntry]:
        for d in self.c.find({}, {"uri": 0, "duration_ms": 0, "match_key": 0}).sort("_id", 1):
            credited = d.get("artists") or []
            yield CatalogEntry(
                d["_id"], d["title"], tuple(a.get("id") for a in credited), tuple(a["name"] for a in credited),
                d.get("album_id"), d.get("year"), tuple(d.get("genres") or ()), d.get("popularity"),
                bool(d.get("explicit")), d.get("features") is not None, d.get("source", "bundled"),
            )  # fmt: skip


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
        self.record_many([event])

    def record_many(self, events: Sequence[Event]) -> None:
        if events:
            self.c.insert_many([{**e.model_dump(), "at": _aware(e.at)} for e in events], ordered=True)

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

    def add(self, feedback: Feedback) -> bool:
        from pymongo.errors import DuplicateKeyError

        if self.tracks.count_documents({"_id": feedback.track_id}, limit=1) == 0:
            raise NotFoundError(f"No track {feedback.track_id} in the catalog", hint="give feedback on a known track")
        doc = {**feedback.model_dump(exclude={"event_id"}), "at": _aware(feedback.at)}
        if feedback.event_id is not None:  # the sparse unique index covers only feedback that has an event id
            doc["event_id"] = feedback.event_id
        try:
            self.c.insert_one(doc)
        except DuplicateKeyError:
            return False
        return True

    def for_user(self, user: str, since: datetime | None = None) -> list[Feedback]:
        query: dict[str, Any] = {"user": user}
        if since:
            query["at"] = {"$gte": _aware(since)}
        return [
            Feedback(user=user, track_id=d["track_id"], kind=d["kind"], at=_utc(d["at"]), event_id=d.get("event_id"))
            for d in self.c.find(query).sort([("at", 1), ("_id", 1)])
        ]


_PLAY_FIELDS = (
    "user",
    "played_at",
    "seq",
    "ms_played",
    "track_id",
    "track_uri",
    "title",
    "artist",
    "album",
    "kind",
    "skipped",
    "source",
    "exact",
    "extra",
    "track_key",
    "match_key",
)


class MongoPlays:
    """Plays as one document each (played_at in UTC epoch milliseconds, like SQLite), identified by the unique
    index (user, played_at, track_key, seq). A bulk write reads which identities of each chunk are stored and
    inserts the rest, inside one transaction: a duplicate-key error would abort the whole transaction."""

    def __init__(self, store: MongoStore):
        self.store = store
        self.c = store.db["plays"]
        self.revisions = store.db["play_revisions"]
        self.imports = store.db["play_imports"]
        self.tracks = MongoCatalog(store)

    def add(self, plays: Sequence[Play]) -> tuple[int, int]:
        inserted = self.add_rows([p.row() for p in plays])
        return inserted, len(plays) - inserted

    def add_rows(
        self,
        rows: Sequence[PlayRecord],
        *,
        replace: Sequence[tuple[str, int, int, str]] = (),
        tracks: Sequence[Track] = (),
        remember: tuple[str, ImportedFile] | None = None,
        progress: Callable[[int], None] | None = None,
    ) -> int:
        from pymongo import DeleteOne

        users = {r.user for r in rows} | {u for u, _, _, _ in replace}
        inserted = 0
        with self.store.transaction() as session:
            if tracks:
                self.tracks.upsert(tracks, session=session)
            if replace:
                self.c.bulk_write(
                    [
                        DeleteOne({"user": u, "played_at": at, "seq": seq, "track_key": key})
                        for u, at, seq, key in replace
                    ],
                    session=session,
                )
            for start in range(0, len(rows), _CHUNK):
                new = self._unseen(rows[start : start + _CHUNK], session)
                if new:
                    self.c.insert_many(new, ordered=True, session=session)
                inserted += len(new)
                if progress:
                    progress(min(start + _CHUNK, len(rows)))
            if remember:
                user, f = remember
                self.imports.replace_one(
                    {"_id": f"{user}:{f.digest}"},
                    {
                        "user": user,
                        "digest": f.digest,
                        "file": f.file,
                        "records": f.records,
                        "imported_at": _aware(f.imported_at),
                    },
                    upsert=True,
                    session=session,
                )
            for user in users:
                self.revisions.update_one({"_id": user}, {"$inc": {"revision": 1}}, upsert=True, session=session)
        return inserted

    def _unseen(self, chunk: Sequence[PlayRecord], session: Any) -> list[dict[str, Any]]:
        """The chunk's plays not stored yet, as documents: one read of the identities in the chunk's time window
        (inside the transaction, so a concurrent writer of the same plays makes it retry, never duplicate)."""
        by_user: dict[str, list[PlayRecord]] = {}
        for r in chunk:
            by_user.setdefault(r.user, []).append(r)
        docs: list[dict[str, Any]] = []
        for user, mine in by_user.items():
            window = {"$gte": min(r.played_at for r in mine), "$lt": max(r.played_at for r in mine) + 1}
            seen = {
                (d["played_at"], d["track_key"], d["seq"])
                for d in self.c.find(
                    {"user": user, "played_at": window},
                    {"_id": 0, "played_at": 1, "track_key": 1, "seq": 1},
                    session=session,
                )
            }
            for r in mine:
                identity = (r.played_at, r.track_key, r.seq)
                if identity not in seen:
                    seen.add(identity)
                    docs.append({f: getattr(r, f) for f in _PLAY_FIELDS})
        return docs

    def add_batch(
        self,
        batch: PlayBatch,
        *,
        replace: Sequence[tuple[str, int, int, str]] = (),
        tracks: Sequence[Track] = (),
        remember: tuple[str, ImportedFile] | None = None,
        progress: Callable[[int], None] | None = None,
    ) -> int:
        items, extras, user, source = batch.items, batch.extras, batch.user, batch.source
        rows = [
            PlayRow(user, at, seq, ms, items[i].track_id, items[i].uri, items[i].title, items[i].artist,
                    items[i].album, items[i].kind, sk, source, ex, extras[e] if e >= 0 else {}, items[i].track_key,
                    items[i].match_key)
            for at, i, seq, ms, sk, ex, e in batch.plays
        ]  # fmt: skip
        return self.add_rows(rows, replace=replace, tracks=tracks, remember=remember, progress=progress)

    def imported_files(self, user: str, digests: Sequence[str]) -> dict[str, ImportedFile]:
        found = self.imports.find({"user": user, "digest": {"$in": list(dict.fromkeys(digests))}})
        return {d["digest"]: ImportedFile(d["digest"], d["file"], d["records"], _utc(d["imported_at"])) for d in found}

    def identities(self, user: str, since: datetime, until: datetime) -> list[PlayIdentity]:
        query = {"user": user, "played_at": {"$gte": epoch_ms(since), "$lt": epoch_ms(until)}}
        fields = {"_id": 0, "played_at": 1, "seq": 1, "track_key": 1, "match_key": 1, "exact": 1}
        return [
            PlayIdentity(d["played_at"], d["seq"], d["track_key"], d["match_key"], d["exact"])
            for d in self.c.find(query, fields)
        ]

    def list(
        self, user: str, *, since: datetime | None = None, until: datetime | None = None, limit: int | None = None
    ) -> list[Play]:
        window: dict[str, Any] = {}
        if since:
            window["$gte"] = epoch_ms(since)
        if until:
            window["$lt"] = epoch_ms(until)
        query: dict[str, Any] = {"user": user, **({"played_at": window} if window else {})}
        cursor = self.c.find(query, {"_id": 0, "track_key": 0, "match_key": 0}).sort(
            [("played_at", -1), ("track_key", -1), ("seq", -1)]
        )
        if limit is not None:
            cursor = cursor.limit(limit)
        out = []
        for doc in cursor:
            doc["played_at"] = from_epoch_ms(doc["played_at"])
            out.append(Play.model_validate(doc))
        return out

    def items(self, user: str) -> list[PlayItem]:
        """What the user's plays were of, ordered by track_key (stable while the plays do not change)."""
        return self._items(user)[0]

    def _items(self, user: str) -> tuple[list[PlayItem], dict[str, int]]:
        pipeline = [
            {"$match": {"user": user}},
            {"$sort": {"played_at": 1}},
            {
                "$group": {
                    "_id": "$track_key",
                    "kind": {"$first": "$kind"},
                    "uri": {"$first": "$track_uri"},
                    "title": {"$first": "$title"},
                    "artist": {"$first": "$artist"},
                    "album": {"$first": "$album"},
                    "track_id": {"$first": "$track_id"},
                }
            },
            {"$sort": {"_id": 1}},
        ]
        items = [
            PlayItem(d["_id"], d["kind"], d["uri"], d["title"], d["artist"], d["album"], d["track_id"])
            for d in self.c.aggregate(pipeline)
        ]
        return items, {item.track_key: i for i, item in enumerate(items)}

    def columns(self, user: str) -> PlayColumns:
        items, positions = self._items(user)
        fields = {"_id": 0, "played_at": 1, "ms_played": 1, "track_key": 1, "skipped": 1}
        docs = list(self.c.find({"user": user}, fields).sort([("played_at", 1), ("track_key", 1), ("seq", 1)]))
        return PlayColumns(
            played_at=[d["played_at"] for d in docs],
            ms_played=[d["ms_played"] for d in docs],
            item=[positions[d["track_key"]] for d in docs],
            skipped=[bool(d["skipped"]) for d in docs],
            items=items,
        )

    def count(self, user: str) -> int:
        return self.c.count_documents({"user": user})

    def users(self) -> list[str]:
        return sorted(self.c.distinct("user"))

    def revision(self, user: str) -> int:
        doc = self.revisions.find_one({"_id": user})
        return int(doc["revision"]) if doc else 0

    def delete(self, user: str, *, before: datetime | None = None) -> int:
        query: dict[str, Any] = {"user": user}
        if before:
            query["played_at"] = {"$lt": epoch_ms(before)}
        with self.store.transaction() as session:
            deleted = self.c.delete_many(query, session=session).deleted_count
            self.imports.delete_many({"user": user}, session=session)
            self.revisions.update_one({"_id": user}, {"$inc": {"revision": 1}}, upsert=True, session=session)
        return deleted


class MongoMeta:
    def __init__(self, store: MongoStore):
        self.c = store.db["meta"]

    def get(self, key: str) -> str | None:
        doc = self.c.find_one({"_id": key})
        return doc["value"] if doc else None

    def set(self, key: str, value: str) -> None:
        self.c.update_one({"_id": key}, {"$set": {"value": value}}, upsert=True)
