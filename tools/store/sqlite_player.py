"""SQLite repositories of the local player: its state document, its playlists and its library (migration 0006).

Kept apart from sqlite.py so the player's storage can change without touching the shared store.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any

import orjson

from echotune.tools.errors import ConflictError
from echotune.tools.models import LocalPlaylist, PlaylistEntry, SavedEntry
from echotune.tools.store.sqlite import dumps, parse_ts, ts

if TYPE_CHECKING:
    from echotune.tools.store.sqlite import SqliteStore


def attach_player_repos(store: SqliteStore) -> None:
    store.player_state = SqlitePlayerState(store)
    store.local_playlists = SqliteLocalPlaylists(store)
    store.library = SqliteLibrary(store)


class SqlitePlayerState:
    def __init__(self, store: SqliteStore):
        self.s = store

    def get(self, user: str) -> tuple[int, dict[str, Any]] | None:
        row = self.s.conn().execute("SELECT version, doc FROM player_state WHERE user = ?", (user,)).fetchone()
        return (row[0], orjson.loads(row[1])) if row else None

    def put(self, user: str, doc: dict[str, Any], *, expected_version: int, at: datetime) -> int:
        with self.s.tx() as conn:
            if expected_version == 0:
                written = conn.execute(
                    "INSERT INTO player_state (user, version, doc, updated_at) VALUES (?, 1, ?, ?)"
                    " ON CONFLICT DO NOTHING",
                    (user, dumps(doc), ts(at)),
                ).rowcount
            else:
                written = conn.execute(
                    "UPDATE player_state SET version = ?, doc = ?, updated_at = ? WHERE user = ? AND version = ?",
                    (expected_version + 1, dumps(doc), ts(at), user, expected_version),
                ).rowcount
        if written != 1:
            raise ConflictError(
                f"The local player of {user!r} changed meanwhile", hint="repeat the command", details={"user": user}
            )
        return expected_version + 1


_PLAYLIST_COLS = "p.id, p.user, p.name, p.description, p.public, p.created_at, p.updated_at"
_COUNT = "(SELECT count(*) FROM local_playlist_items i WHERE i.playlist_id = p.id)"


def _playlist(row: tuple[Any, ...]) -> LocalPlaylist:
    id_, user, name, description, public, created, updated, count = row
    return LocalPlaylist(
        id=id_,
        user=user,
        name=name,
        description=description,
        public=bool(public),
        created_at=parse_ts(created),
        updated_at=parse_ts(updated),
        tracks=count,
    )


class SqliteLocalPlaylists:
    def __init__(self, store: SqliteStore):
        self.s = store

    def create(self, playlist: LocalPlaylist) -> None:
        p = playlist
        with self.s.tx() as conn:
            conn.execute(
                "INSERT INTO local_playlists (id, user, name, description, public, created_at, updated_at)"
                " VALUES (?, ?, ?, ?, ?, ?, ?)",
                (p.id, p.user, p.name, p.description, int(p.public), ts(p.created_at), ts(p.updated_at)),
            )

    def get(self, user: str, playlist_id: str) -> LocalPlaylist | None:
        row = (
            self.s.conn()
            .execute(
                f"SELECT {_PLAYLIST_COLS}, {_COUNT} FROM local_playlists p WHERE p.id = ? AND p.user = ?",
                (playlist_id, user),
            )
            .fetchone()
        )
        return _playlist(row) if row else None

    def list(self, user: str, *, limit: int, offset: int = 0) -> tuple[list[LocalPlaylist], int]:
        conn = self.s.conn()
        total = conn.execute("SELECT count(*) FROM local_playlists WHERE user = ?", (user,)).fetchone()[0]
        rows = conn.execute(
            f"SELECT {_PLAYLIST_COLS}, {_COUNT} FROM local_playlists p WHERE p.user = ?"
            " ORDER BY p.created_at, p.id LIMIT ? OFFSET ?",
            (user, limit, offset),
        )
        return [_playlist(r) for r in rows], total

    def _all_items(self, conn: Any, playlist_id: str) -> list[tuple[str, str]]:
        return conn.execute(
            "SELECT track_id, added_at FROM local_playlist_items WHERE playlist_id = ? ORDER BY position",
            (playlist_id,),
        ).fetchall()

    def _rewrite(self, conn: Any, playlist_id: str, items: Sequence[tuple[str, str]], at: datetime) -> None:
        conn.execute("DELETE FROM local_playlist_items WHERE playlist_id = ?", (playlist_id,))
        conn.executemany(
            "INSERT INTO local_playlist_items (playlist_id, position, track_id, added_at) VALUES (?, ?, ?, ?)",
            [(playlist_id, i, t, a) for i, (t, a) in enumerate(items)],
        )
        conn.execute("UPDATE local_playlists SET updated_at = ? WHERE id = ?", (ts(at), playlist_id))

    def add_items(self, playlist_id: str, track_ids: Sequence[str], *, position: int | None, at: datetime) -> int:
        with self.s.tx() as conn:
            items = self._all_items(conn, playlist_id)
            where = len(items) if position is None else min(position, len(items))
            items[where:where] = [(t, ts(at)) for t in track_ids]
            self._rewrite(conn, playlist_id, items, at)
        return len(track_ids)

    def remove_items(self, playlist_id: str, track_ids: Sequence[str], *, at: datetime) -> int:
        gone = set(track_ids)
        with self.s.tx() as conn:
            items = self._all_items(conn, playlist_id)
            kept = [(t, a) for t, a in items if t not in gone]
            if len(kept) != len(items):
                self._rewrite(conn, playlist_id, kept, at)
        return len(items) - len(kept)

    def items(self, playlist_id: str, *, limit: int, offset: int = 0) -> tuple[list[PlaylistEntry], int]:
        conn = self.s.conn()
        total = conn.execute(
            "SELECT count(*) FROM local_playlist_items WHERE playlist_id = ?", (playlist_id,)
        ).fetchone()[0]
        rows = conn.execute(
            "SELECT position, track_id, added_at FROM local_playlist_items WHERE playlist_id = ?"
            " ORDER BY position LIMIT ? OFFSET ?",
            (playlist_id, limit, offset),
        )
        return [PlaylistEntry(position=p, track_id=t, added_at=parse_ts(a)) for p, t, a in rows], total


class SqliteLibrary:
    def __init__(self, store: SqliteStore):
        self.s = store

    def save(self, user: str, track_ids: Sequence[str], at: datetime) -> int:
        with self.s.tx() as conn:
            before = conn.total_changes
            conn.executemany(
                "INSERT OR IGNORE INTO library_tracks (user, track_id, saved_at) VALUES (?, ?, ?)",
                [(user, t, ts(at)) for t in dict.fromkeys(track_ids)],
            )
            return conn.total_changes - before

    def remove(self, user: str, track_ids: Sequence[str]) -> int:
        with self.s.tx() as conn:
            before = conn.total_changes
            conn.executemany(
                "DELETE FROM library_tracks WHERE user = ? AND track_id = ?", [(user, t) for t in set(track_ids)]
            )
            return conn.total_changes - before

    def list(self, user: str, *, limit: int, offset: int = 0) -> tuple[list[SavedEntry], int]:
        conn = self.s.conn()
        total = conn.execute("SELECT count(*) FROM library_tracks WHERE user = ?", (user,)).fetchone()[0]
        rows = conn.execute(
            "SELECT track_id, saved_at FROM library_tracks WHERE user = ? ORDER BY saved_at DESC, rowid DESC"
            " LIMIT ? OFFSET ?",
            (user, limit, offset),
        )
        return [SavedEntry(track_id=t, saved_at=parse_ts(a)) for t, a in rows], total
