"""SQLite specifics: migrations (an old file upgrades, a newer file is refused), pragmas, transactions.
What every backend must do is in tests/contract/."""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime
from pathlib import Path

import pytest

from echotune.tools.errors import NotConfiguredError
from echotune.tools.models import ArtistRef, Event, Track
from echotune.tools.store.sqlite import SqliteStore, migrations


def _track(i: int, **kw) -> Track:
    return Track(id=f"{i:022d}", title=f"Song {i}", artists=[ArtistRef(name=f"Artist {i % 3}")], **kw)


NEWEST = migrations()[-1][0]


def test_fresh_store_is_at_newest_schema(tmp_path: Path) -> None:
    store = SqliteStore(tmp_path / "s.db")
    assert store.schema_version == NEWEST
    assert sqlite3.connect(tmp_path / "s.db").execute("PRAGMA user_version").fetchone()[0] == NEWEST
    applied = [r[0] for r in store.conn().execute("SELECT version FROM schema_migrations ORDER BY version")]
    assert applied == [n for n, _, _ in migrations()]
    assert store.conn().execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert store.conn().execute("PRAGMA foreign_keys").fetchone()[0] == 1


def test_file_from_first_schema_upgrades_and_keeps_data(tmp_path: Path) -> None:
    path = tmp_path / "old.db"
    old = SqliteStore(path, upto=1)
    assert old.schema_version == 1
    old.catalog.upsert([_track(1)])
    old.conn().execute("INSERT INTO settings VALUES ('bob', 3, '{\"market\": \"SE\"}', '2025-01-01T00:00:00+00:00')")
    old.close()
    with pytest.raises(sqlite3.OperationalError):  # the first schema really lacks the newer tables
        sqlite3.connect(path).execute("SELECT * FROM events")

    new = SqliteStore(path)
    assert new.schema_version == NEWEST
    assert new.catalog.get(_track(1).id).title == "Song 1"
    assert new.settings.get("bob").version == 3
    new.events.record(Event(at=datetime.now(UTC), user="bob", kind="tool", name="x"))
    assert len(new.events.list()) == 1


def test_file_from_before_migrations_were_tracked_upgrades(tmp_path: Path) -> None:
    """Early files knew their schema only by PRAGMA user_version: version N means migrations 1..N."""
    path = tmp_path / "early.db"
    SqliteStore(path, upto=2).close()
    conn = sqlite3.connect(path)
    conn.execute("DROP TABLE schema_migrations")
    conn.commit()
    conn.close()
    store = SqliteStore(path)
    assert store.schema_version == NEWEST
    assert [r[0] for r in store.conn().execute("SELECT version FROM schema_migrations ORDER BY version")] == [
        n for n, _, _ in migrations()
    ]


def test_file_newer_than_the_code_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "future.db"
    SqliteStore(path).close()
    conn = sqlite3.connect(path)
    conn.execute("INSERT INTO schema_migrations VALUES (999, 'from_the_future', '2030-01-01')")
    conn.commit()
    conn.close()
    with pytest.raises(NotConfiguredError, match=r"\[999\].*newer EchoTune") as info:
        SqliteStore(path)
    assert "upgrade" in info.value.hint


def test_failed_migration_leaves_the_file_untouched(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import echotune.tools.store.sqlite as sq

    real = sq.migrations()
    broken = [*real[:1], (2, "broken", "CREATE TABLE events (id INTEGER);\nTHIS IS NOT SQL;")]
    monkeypatch.setattr(sq, "migrations", lambda: broken)
    path = tmp_path / "s.db"
    SqliteStore(path, upto=1).close()
    with pytest.raises(sqlite3.OperationalError):
        SqliteStore(path)
    conn = sqlite3.connect(path)
    assert conn.execute("PRAGMA user_version").fetchone()[0] == 1
    assert [r[0] for r in conn.execute("SELECT version FROM schema_migrations")] == [1]
    assert conn.execute("SELECT count(*) FROM sqlite_master WHERE name = 'events'").fetchone()[0] == 0


def test_a_migration_merged_in_with_a_lower_number_is_still_applied(tmp_path: Path, monkeypatch) -> None:
    """Branches merge: a file that already has migrations 1 and 3 still gets 2 when the code gains it."""
    import echotune.tools.store.sqlite as sq

    real = sq.migrations()
    m1, m3 = real[0], (3, "third", "CREATE TABLE third (id INTEGER);")
    monkeypatch.setattr(sq, "migrations", lambda: [m1, m3])
    SqliteStore(tmp_path / "s.db").close()
    monkeypatch.setattr(sq, "migrations", lambda: [m1, (2, "second", "CREATE TABLE second (id INTEGER);"), m3])
    store = SqliteStore(tmp_path / "s.db")
    assert [r[0] for r in store.conn().execute("SELECT version FROM schema_migrations ORDER BY version")] == [1, 2, 3]
    assert store.conn().execute("SELECT count(*) FROM second").fetchone()[0] == 0


def test_a_failed_transaction_writes_nothing(tmp_path: Path) -> None:
    store = SqliteStore(tmp_path / "s.db")
    store.catalog.upsert([_track(1)])
    with pytest.raises(RuntimeError), store.tx() as conn:
        conn.execute("DELETE FROM tracks")
        conn.execute("INSERT INTO meta VALUES ('k', 'v')")
        raise RuntimeError("crash mid-transaction")
    assert store.catalog.count() == 1 and store.meta.get("k") is None


def test_naive_datetimes_are_refused(tmp_path: Path) -> None:
    store = SqliteStore(tmp_path / "s.db")
    with pytest.raises(ValueError, match="naive"):
        store.events.record(Event(at=datetime(2026, 1, 1), user="u", kind="tool", name="x"))
