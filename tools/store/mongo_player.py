"""MongoDB repositories of the local player: the same contract as sqlite_player.py, shaped for documents.

A playlist is one document with its items embedded (Spotify caps playlists at 10,000 items, far below the
16 MB document limit), so adding at a position and removing are single atomic updates ($push with $position,
$pull). The player state is one versioned document per user, written compare-and-set.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any

from echotune.tools.errors import ConflictError
from echotune.tools.models import LocalPlaylist, PlaylistEntry, SavedEntry
from echotune.tools.store.mongo import _aware, _utc

if TYPE_CHECKING:
    from echotune.tools.store.mongo import MongoStore


def attach_player_repos(store: MongoStore) -> None:
    store.db["local_playlists"].create_index([("user", 1), ("created_at", 1)])
    store.db["library_tracks"].create_index([("user", 1), ("track_id", 1)], unique=True, name="saved_identity")
    store.db["library_tracks"].create_index([("user", 1), ("saved_at", -1)])
    store.player_state = MongoPlayerState(store)
    store.local_playlists = MongoLocalPlaylists(store)
    store.library = MongoLibrary(store)


class MongoPlayerState:
    def __init__(self, store: MongoStore):
        self.c = store.db["player_state"]

    def get(self, user: str) -> tuple[int, dict[str, Any]] | None:
        doc = self.c.find_one({"_id": user})
        return (doc["version"], doc["doc"]) if doc else None

    def put(self, user: str, doc: dict[str, Any], *, expected_version: int, at: datetime) -> int:
        from pymongo.errors import DuplicateKeyError

        fields = {"version": expected_version + 1, "doc": doc, "updated_at": _aware(at)}
        if expected_version == 0:
            try:
                self.c.insert_one({"_id": user, **fields})
                written = True
            except DuplicateKeyError:
                written = False
        else:
            written = (
                self.c.find_one_and_update({"_id": user, "version": expected_version}, {"$set": fields}) is not None
            )
        if not written:
            raise ConflictError(
                f"The local player of {user!r} changed meanwhile", hint="repeat the command", details={"user": user}
            )
        return expected_version + 1


def _playlist(doc: dict[str, Any]) -> LocalPlaylist:
    return LocalPlaylist(
        id=doc["_id"],
        user=doc["user"],
        name=doc["name"],
        description=doc.get("description"),
        public=doc.get("public", False),
        created_at=_utc(doc["created_at"]),
        updated_at=_utc(doc["updated_at"]),
        tracks=len(doc.get("items") or []),
    )


class MongoLocalPlaylists:
    def __init__(self, store: MongoStore):
        self.c = store.db["local_playlists"]

    def create(self, playlist: LocalPlaylist) -> None:
        p = playlist
        self.c.insert_one(
            {
                "_id": p.id,
                "user": p.user,
                "name": p.name,
                "description": p.description,
                "public": p.public,
                "created_at": _aware(p.created_at),
                "updated_at": _aware(p.updated_at),
                "items": [],
            }
        )

    def get(self, user: str, playlist_id: str) -> LocalPlaylist | None:
        doc = self.c.find_one({"_id": playlist_id, "user": user})
        return _playlist(doc) if doc else None

    def list(self, user: str, *, limit: int, offset: int = 0) -> tuple[list[LocalPlaylist], int]:
        total = self.c.count_documents({"user": user})
        cursor = self.c.find({"user": user}).sort([("created_at", 1), ("_id", 1)]).skip(offset).limit(limit)
        return [_playlist(d) for d in cursor], total

    def add_items(self, playlist_id: str, track_ids: Sequence[str], *, position: int | None, at: datetime) -> int:
        entries = [{"track_id": t, "added_at": _aware(at)} for t in track_ids]
        push: dict[str, Any] = {"$each": entries}
        if position is not None:
            push["$position"] = position
        self.c.update_one({"_id": playlist_id}, {"$push": {"items": push}, "$set": {"updated_at": _aware(at)}})
        return len(entries)

    def remove_items(self, playlist_id: str, track_ids: Sequence[str], *, at: datetime) -> int:
        from pymongo import ReturnDocument

        before = self.c.find_one_and_update(
            {"_id": playlist_id},
            {"$pull": {"items": {"track_id": {"$in": list(set(track_ids))}}}},
            return_document=ReturnDocument.BEFORE,
        )
        if before is None:
            return 0
        gone = set(track_ids)
        removed = sum(1 for i in before.get("items") or [] if i["track_id"] in gone)
        if removed:
            self.c.update_one({"_id": playlist_id}, {"$set": {"updated_at": _aware(at)}})
        return removed

    def items(self, playlist_id: str, *, limit: int, offset: int = 0) -> tuple[list[PlaylistEntry], int]:
        doc = self.c.find_one({"_id": playlist_id}) or {}
        items = doc.get("items") or []
        return [
            PlaylistEntry(position=offset + i, track_id=e["track_id"], added_at=_utc(e["added_at"]))
            for i, e in enumerate(items[offset : offset + limit])
        ], len(items)


class MongoLibrary:
    def __init__(self, store: MongoStore):
        self.c = store.db["library_tracks"]

    def save(self, user: str, track_ids: Sequence[str], at: datetime) -> int:
        from pymongo.errors import BulkWriteError

        docs = [{"user": user, "track_id": t, "saved_at": _aware(at)} for t in dict.fromkeys(track_ids)]
        if not docs:
            return 0
        try:
            return len(self.c.insert_many(docs, ordered=False).inserted_ids)
        except BulkWriteError as exc:
            errors = exc.details.get("writeErrors", [])
            if any(e.get("code") != 11000 for e in errors):
                raise
            return exc.details.get("nInserted", 0)

    def remove(self, user: str, track_ids: Sequence[str]) -> int:
        return self.c.delete_many({"user": user, "track_id": {"$in": list(set(track_ids))}}).deleted_count

    def list(self, user: str, *, limit: int, offset: int = 0) -> tuple[list[SavedEntry], int]:
        total = self.c.count_documents({"user": user})
        cursor = self.c.find({"user": user}).sort([("saved_at", -1), ("_id", -1)]).skip(offset).limit(limit)
        return [SavedEntry(track_id=d["track_id"], saved_at=_utc(d["saved_at"])) for d in cursor], total
