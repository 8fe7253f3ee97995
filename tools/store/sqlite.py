"""The embedded default store: one SQLite file (WAL, foreign keys) with numbered migrations.

One connection per thread (SQLite connections must not be shared across threads); every write runs in a
`BEGIN IMMEDIATE` transaction so concurrent writers queue on the file lock instead of failing late.
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from importlib import resources
from pathlib import Path
from typing import Any

import orjson

from echotune.tools.errors import ConflictError, NotConfiguredError, NotFoundError
from echotune.tools.models import CatalogEntry, Event, Feedback, SettingsChange, StoredSettings, Track
from echotune.tools.text import match_key

BUSY_TIMEOUT_MS = 10_000


def migrations() -> list[tuple[int, str, str]]:
    """The numbered migrations shipped with the code: (version, name, sql), in order."""
    found = []
    for entry in resources.files("echotune.tools.store").joinpath("migrations").iterdir():
        if entry.name.endswith(".sql"):
            number, _, name = entry.name.removesuffix(".sql").partition("_")
            found.append((int(number), name, entry.read_text(encoding="utf-8")))
    found.sort()
    numbers = [n for n, _, _ in found]
    if len(set(numbers)) != len(numbers):
        raise RuntimeError(f"two migrations share a number: {numbers}")
    return found


def statements(script: str) -> Iterator[str]:
    """Split a migration script into statements, so all of them run inside our one transaction
    (executescript would commit on its own)."""
    buf = ""
    for line in script.splitlines(keepends=True):
        buf += line
        if sqlite3.complete_statement(buf):
            yield buf.strip()
            buf = ""
    if buf.strip() and not all(ln.strip().startswith("--") or not ln.strip() for ln in buf.splitlines()):
        raise ValueError(f"incomplete SQL statement at the end of a migration: {buf.strip()[:80]}")


def ts(value: datetime) -> str:
    """UTC ISO-8601 text that sorts in time order."""
    if value.tzinfo is None:
        raise ValueError("naive datetimes are not stored: pass an aware UTC datetime")
    return value.astimezone(UTC).isoformat(timespec="microseconds")


def epoch_ms(value: datetime) -> int:
    """UTC epoch milliseconds: how plays and A/B records store time (compact, fast to compare)."""
    if value.tzinfo is None:
        raise ValueError("naive datetimes are not stored: pass an aware UTC datetime")
    return round(value.timestamp() * 1000)


def from_epoch_ms(value: int) -> datetime:
    return datetime.fromtimestamp(value / 1000, UTC)


def parse_ts(value: str) -> datetime:
    return datetime.fromisoformat(value)


def dumps(value: Any) -> str:
    return orjson.dumps(value).decode()


class SqliteStore:
    """All repositories over one SQLite file."""

    backend = "sqlite"

    def __init__(self, path: Path, *, upto: int | None = None):
        """Open (creating if needed) and migrate to the newest schema, or to `upto` (tests of old files)."""
        self.path = Path(path)
        self.location = str(self.path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._local = threading.local()
        self._conns: list[sqlite3.Connection] = []
        self._lock = threading.Lock()
        self.schema_version = self._migrate(upto)
        self.catalog = SqliteCatalog(self)
        self.settings = SqliteSettings(self)
        self.events = SqliteEvents(self)
        self.feedback = SqliteFeedback(self)
        from echotune.tools.store.sqlite_plays import SqlitePlays  # it builds on this module's helpers

        self.plays = SqlitePlays(self)
        self.meta = SqliteMeta(self)
        from echotune.tools.store.sqlite_player import attach_player_repos

        attach_player_repos(self)
        from echotune.tools.store.sqlite_mcp import SqliteAudit, SqliteTokens

        self.tokens = SqliteTokens(self)
        self.audit = SqliteAudit(self)
        from echotune.tools.store.sqlite_recommend import SqliteAB

        self.ab = SqliteAB(self)

    # -- connections and transactions -------------------------------------------------------------------
    def conn(self) -> sqlite3.Connection:
        conn = getattr(self._local, "conn", None)
        if conn is None:
            conn = sqlite3.connect(
                self.path, isolation_level=None, check_same_thread=False, timeout=BUSY_TIMEOUT_MS / 1000
            )
            conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
            conn.execute("PRAGMA journal_mode = WAL")
            conn.execute("PRAGMA synchronous = NORMAL")
            conn.execute("PRAGMA foreign_keys = ON")
            self._local.conn = conn
            with self._lock:
                self._conns.append(conn)
        return conn

    @contextmanager
    def tx(self) -> Iterator[sqlite3.Connection]:
        """One write transaction: everything inside commits together or not at all."""
        conn = self.conn()
        conn.execute("BEGIN IMMEDIATE")
        try:
            yield conn
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        conn.execute("COMMIT")

    def close(self) -> None:
        with self._lock:
            for conn in self._conns:
                conn.close()
            self._conns.clear()
        self._local = threading.local()

    def _migrate(self, upto: int | None) -> int:
        """Apply every shipped migration this file lacks (up to `upto`), each recorded in schema_migrations,
        all in one transaction; refuse a file that has migrations this code does not know."""
        known = migrations()
        conn = self.conn()
        conn.execute("BEGIN IMMEDIATE")
        try:
            tracked = conn.execute("SELECT 1 FROM sqlite_master WHERE name = 'schema_migrations'").fetchone()
            conn.execute(
                "CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL,"
                " applied_at TEXT NOT NULL)"
            )
            if not tracked:  # a file from before migrations were tracked one by one: user_version N means 1..N
                legacy = conn.execute("PRAGMA user_version").fetchone()[0]
                conn.executemany(
                    "INSERT INTO schema_migrations VALUES (?, ?, ?)",
                    [(n, name, "legacy") for n, name, _ in known if n <= legacy],
                )
            applied = {row[0] for row in conn.execute("SELECT version FROM schema_migrations")}
            unknown = sorted(applied - {n for n, _, _ in known})
            if unknown:
                raise NotConfiguredError(
                    f"The database {self.path} has schema migration(s) {unknown} that this EchoTune does not know: "
                    "it was written by a newer EchoTune.",
                    hint="upgrade EchoTune (pip install -U echotune), or use another --data-dir",
                )
            now = ts(datetime.now(UTC))
            for number, name, sql in known:
                if number in applied or (upto is not None and number > upto):
                    continue
                for statement in statements(sql):
                    conn.execute(statement)
                conn.execute("INSERT INTO schema_migrations VALUES (?, ?, ?)", (number, name, now))
                applied.add(number)
            version = max(applied, default=0)
            conn.execute(f"PRAGMA user_version = {version}")
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        conn.execute("COMMIT")
        return version


def upsert_tracks(conn: sqlite3.Connection, tracks: Iterable[Track]) -> int:
    """Write tracks inside the caller's transaction (a newer copy of a track replaces the stored one)."""
    rows = [_track_row(t) for t in tracks]
    conn.executemany(f"INSERT OR REPLACE INTO tracks ({_TRACK_COLS}, match_key) VALUES ({', '.join('?' * 13)})", rows)
    return len(rows)


def _track_row(t: Track) -> tuple[Any, ...]:
    first = t.artists[0].name if t.artists else ""
    return (
        t.id,
        t.uri,
        t.title,
        dumps([a.model_dump() for a in t.artists]),
        t.album_id,
        t.year,
        dumps(t.genres),
        t.popularity,
        int(t.explicit),
        t.duration_ms,
        dumps(t.features.model_dump()) if t.features else None,
        t.source,
        match_key(t.title, first),
    )


_TRACK_COLS = "id, uri, title, artists, album_id, year, genres, popularity, explicit, duration_ms, features, source"


def _track(row: sqlite3.Row | tuple[Any, ...]) -> Track:
    (id_, uri, title, artists, album_id, year, genres, popularity, explicit, duration_ms, features, source) = row
    return Track.model_validate(
        {
            "id": id_,
            "uri": uri,
            "title": title,
            "artists": orjson.loads(artists),
            "album_id": album_id,
            "year": year,
            "genres": orjson.loads(genres),
            "popularity": popularity,
            "explicit": bool(explicit),
            "duration_ms": duration_ms,
            "features": orjson.loads(features) if features else None,
            "source": source,
        }
    )


class SqliteCatalog:
    def __init__(self, store: SqliteStore):
        self.s = store

    def count(self) -> int:
        return self.s.conn().execute("SELECT count(*) FROM tracks").fetchone()[0]

    def upsert(self, tracks: Iterable[Track]) -> int:
        with self.s.tx() as conn:
            return upsert_tracks(conn, tracks)

    def get(self, track_id: str) -> Track | None:
        row = self.s.conn().execute(f"SELECT {_TRACK_COLS} FROM tracks WHERE id = ?", (track_id,)).fetchone()
        return _track(row) if row else None

    def get_many(self, track_ids: Sequence[str]) -> dict[str, Track]:
        out: dict[str, Track] = {}
        ids = list(dict.fromkeys(track_ids))
        for i in range(0, len(ids), 500):
            chunk = ids[i : i + 500]
            sql = f"SELECT {_TRACK_COLS} FROM tracks WHERE id IN ({', '.join('?' * len(chunk))})"
            for row in self.s.conn().execute(sql, chunk):
                out[row[0]] = _track(row)
        return out

    def existing(self, track_ids: Sequence[str]) -> set[str]:
        out: set[str] = set()
        ids = list(dict.fromkeys(track_ids))
        for i in range(0, len(ids), 500):
            chunk = ids[i : i + 500]
            sql = f"SELECT id FROM tracks WHERE id IN ({', '.join('?' * len(chunk))})"
            out.update(id_ for (id_,) in self.s.conn().execute(sql, chunk))
        return out

    def by_match_keys(self, keys: Sequence[str]) -> dict[str, str]:
        out: dict[str, str] = {}
        keys = list(dict.fromkeys(keys))
        for i in range(0, len(keys), 500):
            chunk = keys[i : i + 500]
            sql = f"SELECT match_key, id FROM tracks WHERE match_key IN ({', '.join('?' * len(chunk))}) ORDER BY id"
            for key, id_ in self.s.conn().execute(sql, chunk):
                out.setdefault(key, id_)
        return out

    def all(self) -> Iterator[Track]:
        for row in self.s.conn().execute(f"SELECT {_TRACK_COLS} FROM tracks ORDER BY id"):
            yield _track(row)

    def entries(self) -> Iterator[CatalogEntry]:
        sql = (
            "SELECT id, title, artists, album_id, year, genres, popularity, explicit, features IS NOT NULL, source "
            "FROM tracks ORDER BY id"
        )
        for (
            id_,
            title,
            artists,
            album_id,
            year,
            genres,
            popularity,
            explicit,
            has_features,
            source,
        ) in self.s.conn().execute(sql):
            credited = orjson.loads(artists)
            yield CatalogEntry(
                id_, title, tuple(a.get("id") for a in credited), tuple(a["name"] for a in credited), album_id,
                year, tuple(orjson.loads(genres)), popularity, bool(explicit), bool(has_features), source,
            )  # fmt: skip


class SqliteSettings:
    def __init__(self, store: SqliteStore):
        self.s = store

    def get(self, user: str) -> StoredSettings | None:
        row = self.s.conn().execute("SELECT version, doc, updated_at FROM settings WHERE user = ?", (user,)).fetchone()
        if row is None:
            return None
        return StoredSettings(user=user, version=row[0], doc=orjson.loads(row[1]), updated_at=parse_ts(row[2]))

    def put(
        self, user: str, doc: dict[str, Any], *, expected_version: int, at: datetime, changes: Sequence[SettingsChange]
    ) -> StoredSettings:
        new_version = expected_version + 1
        with self.s.tx() as conn:
            if expected_version == 0:
                written = conn.execute(
                    "INSERT INTO settings (user, version, doc, updated_at) VALUES (?, 1, ?, ?) ON CONFLICT DO NOTHING",
                    (user, dumps(doc), ts(at)),
                ).rowcount
            else:
                written = conn.execute(
                    "UPDATE settings SET version = ?, doc = ?, updated_at = ? WHERE user = ? AND version = ?",
                    (new_version, dumps(doc), ts(at), user, expected_version),
                ).rowcount
            if written != 1:
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
            conn.executemany(
                "INSERT INTO settings_changes (user, version, at, key, old, new) VALUES (?, ?, ?, ?, ?, ?)",
                [(user, new_version, ts(c.at), c.key, dumps(c.old), dumps(c.new)) for c in changes],
            )
        return StoredSettings(user=user, version=new_version, doc=doc, updated_at=at)

    def history(self, user: str, limit: int = 50) -> list[SettingsChange]:
        rows = self.s.conn().execute(
            "SELECT version, at, key, old, new FROM settings_changes WHERE user = ? ORDER BY id DESC LIMIT ?",
            (user, limit),
        )
        return [
            SettingsChange(user=user, version=v, at=parse_ts(at), key=k, old=orjson.loads(o), new=orjson.loads(n))
            for v, at, k, o, n in rows
        ]


_EVENT_COLS = (
    "at, user, kind, name, face, duration_ms, outcome, error_code, provider, tokens_in, tokens_out, cost_usd, data"
)


class SqliteEvents:
    def __init__(self, store: SqliteStore):
        self.s = store

    def record(self, event: Event) -> None:
        e = event
        row = (
            ts(e.at),
            e.user,
            e.kind,
            e.name,
            e.face,
            e.duration_ms,
            e.outcome,
            e.error_code,
            e.provider,
            e.tokens_in,
            e.tokens_out,
            e.cost_usd,
            dumps(e.data),
        )
        with self.s.tx() as conn:
            conn.execute(f"INSERT INTO events ({_EVENT_COLS}) VALUES ({', '.join('?' * 13)})", row)

    def record_many(self, events: Sequence[Event]) -> None:
        rows = [
            (ts(e.at), e.user, e.kind, e.name, e.face, e.duration_ms, e.outcome, e.error_code, e.provider,
             e.tokens_in, e.tokens_out, e.cost_usd, dumps(e.data))
            for e in events
        ]  # fmt: skip
        with self.s.tx() as conn:
            conn.executemany(f"INSERT INTO events ({_EVENT_COLS}) VALUES ({', '.join('?' * 13)})", rows)

    def list(self, *, kind: str | None = None, since: datetime | None = None, limit: int = 1000) -> list[Event]:
        where, args = [], []
        if kind:
            where.append("kind = ?")
            args.append(kind)
        if since:
            where.append("at >= ?")
            args.append(ts(since))
        sql = f"SELECT {_EVENT_COLS} FROM events {'WHERE ' + ' AND '.join(where) if where else ''} ORDER BY id DESC LIMIT ?"
        names = [c.strip() for c in _EVENT_COLS.split(",")]
        out = []
        for row in self.s.conn().execute(sql, [*args, limit]):
            rec = dict(zip(names, row, strict=True))
            rec["data"] = orjson.loads(rec["data"])
            out.append(Event.model_validate(rec))
        return out


class SqliteFeedback:
    def __init__(self, store: SqliteStore):
        self.s = store

    def add(self, feedback: Feedback) -> bool:
        if self.s.catalog.get(feedback.track_id) is None:
            raise NotFoundError(f"No track {feedback.track_id} in the catalog", hint="give feedback on a known track")
        with self.s.tx() as conn:
            return (
                conn.execute(
                    "INSERT OR IGNORE INTO feedback (user, track_id, kind, at, event_id) VALUES (?, ?, ?, ?, ?)",
                    (feedback.user, feedback.track_id, feedback.kind, ts(feedback.at), feedback.event_id),
                ).rowcount
                == 1
            )

    def for_user(self, user: str, since: datetime | None = None) -> list[Feedback]:
        rows = self.s.conn().execute(
            "SELECT track_id, kind, at, event_id FROM feedback WHERE user = ? AND at >= ? ORDER BY at, id",
            (user, ts(since) if since else ""),
        )
        return [Feedback(user=user, track_id=t, kind=k, at=parse_ts(a), event_id=e) for t, k, a, e in rows]


class SqliteMeta:
    def __init__(self, store: SqliteStore):
        self.s = store

    def get(self, key: str) -> str | None:
        row = self.s.conn().execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        return row[0] if row else None

    def set(self, key: str, value: str) -> None:
        with self.s.tx() as conn:
            conn.execute(
                "INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                (key, value),
            )
