"""Listening history in SQLite: narrow play rows (what was played lives once per user in play_items, the
context of a play once per distinct value in play_extras), bulk writes that are one transaction per call,
identity lookups for imports, and a columnar read for the history queries.

Every change to a user's plays bumps that user's revision in the same transaction, so a cache derived from
the plays knows in one lookup whether it is stale.
"""

from __future__ import annotations

import operator
from collections.abc import Callable, Iterable, Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any

import orjson

from echotune.tools.models import ImportedFile, Play, PlayBatch, PlayColumns, PlayIdentity, PlayItem, PlayRecord, Track
from echotune.tools.store.sqlite import epoch_ms, from_epoch_ms, upsert_tracks

if TYPE_CHECKING:
    import sqlite3

    from echotune.tools.store.sqlite import SqliteStore

_INSERT = (
    "INSERT OR IGNORE INTO plays (user, played_at, item, seq, ms_played, skipped, exact, source, extra)"
    " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)"
)
_CHUNK = 5000
_BATCH_CHUNK = 8000
FAR_PAST, FAR_FUTURE = -(2**62), 2**62


def _bump(conn: sqlite3.Connection, user: str) -> None:
    conn.execute(
        "INSERT INTO play_revisions (user, revision) VALUES (?, 1)"
        " ON CONFLICT (user) DO UPDATE SET revision = revision + 1",
        (user,),
    )


def _lookup(conn: sqlite3.Connection, sql: str, user: str, keys: Iterable[str]) -> dict[str, int]:
    """{key: id} for the keys already stored (sql selects key, id with `user = ?` and `IN (...)` left open)."""
    keys = list(keys)
    out: dict[str, int] = {}
    for i in range(0, len(keys), 500):
        chunk = keys[i : i + 500]
        out.update(conn.execute(sql + f" ({', '.join('?' * len(chunk))})", [user, *chunk]))
    return out


class _Dimensions:
    """Ids of the play_items and play_extras rows a write needs, inserting the missing ones in bulk."""

    def __init__(
        self, conn: sqlite3.Connection, rows: Sequence[PlayRecord], replace: Sequence[tuple[str, int, int, str]]
    ):
        self.items: dict[str, dict[str, int]] = {}  # user -> track_key -> id
        self.extras: dict[tuple[str, int], int | None] = {}  # (user, id(extra dict)) -> id
        wanted: dict[str, dict[str, PlayRecord | None]] = {}
        docs: dict[str, dict[str, str]] = {}  # user -> doc -> doc, for the extras
        by_object: dict[tuple[str, int], str] = {}
        users = {r.user for r in rows}
        for user in users:
            mine = rows if len(users) == 1 else [r for r in rows if r.user == user]
            wanted[user] = {r.track_key: r for r in reversed(mine)}  # the first record of each track wins
            for obj in {id(r.extra): r.extra for r in mine}.values():  # importers share one dict per context
                doc = orjson.dumps(obj, option=orjson.OPT_SORT_KEYS).decode() if obj else ""
                by_object[(user, id(obj))] = doc
                if doc:
                    docs.setdefault(user, {})[doc] = doc
        for user, _, _, key in replace:
            wanted.setdefault(user, {}).setdefault(key, None)
        for user, keys in wanted.items():
            missing = [
                (user, k, r.kind, r.track_uri, r.title, r.artist, r.album, r.match_key, r.track_id)
                for k, r in keys.items()
                if r is not None
            ]
            conn.executemany(
                "INSERT OR IGNORE INTO play_items (user, track_key, kind, uri, title, artist, album, match_key,"
                " track_id) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                missing,
            )
            sql = "SELECT track_key, id FROM play_items WHERE user = ? AND track_key IN"
            self.items[user] = _lookup(conn, sql, user, keys)
        doc_ids: dict[str, dict[str, int]] = {}
        for user, wanted_docs in docs.items():
            conn.executemany(
                "INSERT OR IGNORE INTO play_extras (user, doc) VALUES (?, ?)", [(user, d) for d in wanted_docs]
            )
            doc_ids[user] = _lookup(
                conn, "SELECT doc, id FROM play_extras WHERE user = ? AND doc IN", user, wanted_docs
            )
        for (user, obj), doc in by_object.items():
            self.extras[(user, obj)] = doc_ids[user][doc] if doc else None


class SqlitePlays:
    def __init__(self, store: SqliteStore):
        self.s = store

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
        """Write plays in ONE transaction, with the catalog tracks they reference (`tracks`, upserted first)
        and after removing the plays they supersede (`replace`: (user, played_at, seq, track_key)). Plays already
        stored under the same identity are skipped; `remember` (user, file) is recorded as fully imported. Returns
        how many were inserted. `progress(rows_written)` is called between chunks, inside the transaction."""
        users = {r.user for r in rows} | {u for u, _, _, _ in replace}
        with self.s.tx() as conn:
            upsert_tracks(conn, tracks)
            dims = _Dimensions(conn, rows, replace)
            for user, played_at, seq, key in replace:
                iid = dims.items[user].get(key)
                if iid is not None:
                    _delete_play(conn, user, played_at, iid, seq)
            inserted = 0
            extra_ids = dims.extras  # by (user, id(extra dict)): `rows` keeps the dicts alive, so ids are stable
            fields = operator.attrgetter(
                "user", "played_at", "track_key", "seq", "ms_played", "skipped", "exact", "source", "extra"
            )
            items = dims.items
            for start in range(0, len(rows), _CHUNK):
                chunk = [
                    (u, at, items[u][key], seq, ms, sk, ex, src, extra_ids[(u, id(extra))])
                    for u, at, key, seq, ms, sk, ex, src, extra in map(fields, rows[start : start + _CHUNK])
                ]
                before = conn.total_changes  # after the chunk's new items and extras: count plays only
                conn.executemany(_INSERT, chunk)
                inserted += conn.total_changes - before
                if progress:
                    progress(min(start + _CHUNK, len(rows)))
            if remember:
                _remember(conn, *remember)
            for user in users:
                _bump(conn, user)
        return inserted

    def add_batch(
        self,
        batch: PlayBatch,
        *,
        replace: Sequence[tuple[str, int, int, str]] = (),
        tracks: Sequence[Track] = (),
        remember: tuple[str, ImportedFile] | None = None,
        progress: Callable[[int], None] | None = None,
    ) -> int:
        """`add_rows` for one user's plays in columnar form: the items and contexts are written once each and the
        plays go to SQLite as plain tuples (INSERT OR IGNORE on the identity: a stored play is skipped)."""
        user, source = batch.user, batch.source
        conn = self.s.conn()  # this thread's own connection
        conn.execute("PRAGMA foreign_keys = OFF")  # a fifth of the insert: every id below is looked up in this tx
        try:
            return self._add_batch(batch, user, source, replace, tracks, remember, progress)
        finally:
            conn.execute("PRAGMA foreign_keys = ON")

    def _add_batch(
        self,
        batch: PlayBatch,
        user: str,
        source: str,
        replace: Sequence[tuple[str, int, int, str]],
        tracks: Sequence[Track],
        remember: tuple[str, ImportedFile] | None,
        progress: Callable[[int], None] | None,
    ) -> int:
        with self.s.tx() as conn:
            upsert_tracks(conn, tracks)
            keys = [i.track_key for i in batch.items]
            sql = "SELECT track_key, id FROM play_items WHERE user = ? AND track_key IN"
            found = _lookup(conn, sql, user, {*keys, *(k for u, _, _, k in replace if u == user)})
            missing = [i for i in batch.items if i.track_key not in found]  # most were played in earlier files
            conn.executemany(
                "INSERT OR IGNORE INTO play_items (user, track_key, kind, uri, title, artist, album, match_key,"
                " track_id) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                [(user, i.track_key, i.kind, i.uri, i.title, i.artist, i.album, i.match_key, i.track_id)
                 for i in missing],
            )  # fmt: skip
            found.update(_lookup(conn, sql, user, {i.track_key for i in missing}))
            item_ids = [found[k] for k in keys]
            docs = [orjson.dumps(e, option=orjson.OPT_SORT_KEYS).decode() if e else "" for e in batch.extras]
            conn.executemany(
                "INSERT OR IGNORE INTO play_extras (user, doc) VALUES (?, ?)", [(user, d) for d in set(docs) if d]
            )
            doc_ids = _lookup(conn, "SELECT doc, id FROM play_extras WHERE user = ? AND doc IN", user, set(docs))
            extra_ids = [doc_ids.get(d) if d else None for d in docs]
            extra_ids.append(None)  # index -1: no context
            for u, played_at, seq, key in replace:
                iid = found.get(key) if u == user else None
                if iid is not None:
                    _delete_play(conn, user, played_at, iid, seq)
            inserted, plays = 0, batch.plays
            for start in range(0, len(plays), _BATCH_CHUNK):
                before = conn.total_changes
                conn.executemany(
                    _INSERT,
                    [
                        (user, at, item_ids[i], seq, ms, sk, ex, source, extra_ids[e])
                        for at, i, seq, ms, sk, ex, e in plays[start : start + _BATCH_CHUNK]
                    ],
                )
                inserted += conn.total_changes - before
                if progress:
                    progress(min(start + _BATCH_CHUNK, len(plays)))
            if remember:
                _remember(conn, *remember)
            _bump(conn, user)
            for u in {u for u, _, _, _ in replace} - {user}:
                _bump(conn, u)
        return inserted

    def imported_files(self, user: str, digests: Sequence[str]) -> dict[str, ImportedFile]:
        found = {}
        for d in dict.fromkeys(digests):
            row = (
                self.s.conn()
                .execute("SELECT file, records, imported_at FROM play_imports WHERE user = ? AND digest = ?", (user, d))
                .fetchone()
            )
            if row:
                found[d] = ImportedFile(d, row[0], row[1], from_epoch_ms(row[2]))
        return found

    def identities(self, user: str, since: datetime, until: datetime) -> list[PlayIdentity]:
        """Identity of each of the user's plays with since <= played_at < until."""
        rows = self.s.conn().execute(
            "SELECT p.played_at, p.seq, i.track_key, i.match_key, p.exact FROM plays p JOIN play_items i"
            " ON i.id = p.item WHERE p.user = ? AND p.played_at >= ? AND p.played_at < ?",
            (user, epoch_ms(since), epoch_ms(until)),
        )
        return [PlayIdentity(at, seq, key, mk, bool(ex)) for at, seq, key, mk, ex in rows]

    def list(
        self, user: str, *, since: datetime | None = None, until: datetime | None = None, limit: int | None = None
    ) -> list[Play]:
        sql = (
            "SELECT p.played_at, p.ms_played, i.track_id, i.uri, i.title, i.artist, i.album, i.kind, p.skipped,"
            " p.source, p.exact, p.seq, e.doc FROM plays p JOIN play_items i ON i.id = p.item"
            " LEFT JOIN play_extras e ON e.id = p.extra"
            " WHERE p.user = ? AND p.played_at >= ? AND p.played_at < ?"
            " ORDER BY p.played_at DESC, p.item DESC, p.seq DESC" + (" LIMIT ?" if limit is not None else "")
        )
        args: list[Any] = [user, epoch_ms(since) if since else FAR_PAST, epoch_ms(until) if until else FAR_FUTURE]
        if limit is not None:
            args.append(limit)
        return [
            Play(
                user=user, played_at=from_epoch_ms(at), ms_played=ms, track_id=tid, track_uri=uri, title=title,
                artist=artist, album=album, kind=kind, skipped=bool(sk), source=src, exact=bool(ex), seq=seq,
                extra=orjson.loads(doc) if doc else {},
            )
            for at, ms, tid, uri, title, artist, album, kind, sk, src, ex, seq, doc in self.s.conn().execute(sql, args)
        ]  # fmt: skip

    def items(self, user: str) -> list[PlayItem]:
        """What the user's plays were of, in a stable order (the order `columns` codes refer to)."""
        return [
            PlayItem(*row)
            for row in self.s.conn().execute(
                "SELECT track_key, kind, uri, title, artist, album, track_id FROM play_items WHERE user = ?"
                " ORDER BY id",
                (user,),
            )
        ]

    def columns(self, user: str) -> PlayColumns:
        """Every play of the user as parallel columns, oldest first; item codes index `items`."""
        conn = self.s.conn()
        conn.execute("BEGIN")  # one read snapshot: items and plays agree
        try:
            ids = conn.execute("SELECT id FROM play_items WHERE user = ? ORDER BY id", (user,)).fetchall()
            positions = {iid: pos for pos, (iid,) in enumerate(ids)}
            items = self.items(user)
            rows = conn.execute(
                "SELECT played_at, ms_played, item, skipped FROM plays WHERE user = ? ORDER BY played_at", (user,)
            ).fetchall()
        finally:
            conn.execute("COMMIT")
        if not rows:
            return PlayColumns(items=items)
        played_at, ms_played, item, skipped = (list(c) for c in zip(*rows, strict=True))
        return PlayColumns(
            played_at=played_at,
            ms_played=ms_played,
            item=[positions[i] for i in item],
            skipped=[bool(s) for s in skipped],
            items=items,
        )

    def count(self, user: str) -> int:
        return self.s.conn().execute("SELECT count(*) FROM plays WHERE user = ?", (user,)).fetchone()[0]

    def users(self) -> list[str]:
        """Every user with at least one stored play."""
        return [u for (u,) in self.s.conn().execute("SELECT DISTINCT user FROM plays ORDER BY user")]

    def revision(self, user: str) -> int:
        """A number that changes whenever the user's plays change (0: never had any)."""
        row = self.s.conn().execute("SELECT revision FROM play_revisions WHERE user = ?", (user,)).fetchone()
        return row[0] if row else 0

    def delete(self, user: str, *, before: datetime | None = None) -> int:
        """Delete the user's plays (all, or those before a time), and what was stored only for them."""
        with self.s.tx() as conn:
            deleted = conn.execute(
                "DELETE FROM plays WHERE user = ? AND played_at < ?",
                (user, epoch_ms(before) if before else FAR_FUTURE),
            ).rowcount
            conn.execute(
                "DELETE FROM play_items WHERE user = ? AND id NOT IN (SELECT item FROM plays WHERE user = ?)",
                (user, user),
            )
            conn.execute("DELETE FROM play_imports WHERE user = ?", (user,))
            conn.execute(
                "DELETE FROM play_extras WHERE user = ? AND id NOT IN"
                " (SELECT extra FROM plays WHERE user = ? AND extra IS NOT NULL)",
                (user, user),
            )
            _bump(conn, user)
        return deleted


def _delete_play(conn: sqlite3.Connection, user: str, played_at: int, item: int, seq: int) -> None:
    """Remove the stored play an exact one supersedes (its minute-precise copy from Account data)."""
    conn.execute(
        "DELETE FROM plays WHERE user = ? AND played_at = ? AND item = ? AND seq = ?", (user, played_at, item, seq)
    )


def _remember(conn: sqlite3.Connection, user: str, f: ImportedFile) -> None:
    """Mark a file imported, in the transaction that stored its plays (a re-import then skips it unread)."""
    conn.execute(
        "INSERT OR REPLACE INTO play_imports (user, digest, file, records, imported_at) VALUES (?, ?, ?, ?, ?)",
        (user, f.digest, f.file, f.records, epoch_ms(f.imported_at)),
    )
