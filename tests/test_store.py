"""The SQLite store: migrations (an old file upgrades, a newer file is refused), transactions, repositories."""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime
from pathlib import Path

import pytest

from echotune.tools.errors import NotConfiguredError
from echotune.tools.models import ArtistRef, Event, Feedback, Track
from echotune.tools.store.sqlite import SqliteStore, migrations


def _track(i: int, **kw) -> Track:
    return Track(id=f"{i:022d}", title=f"Song {i}", artists=[ArtistRef(name=f"Artist {i % 3}")], **kw)


def test_fresh_store_is_at_newest_schema(tmp_path: Path) -> None:
    store = SqliteStore(tmp_path / "s.db")
    assert store.schema_version == len(migrations())
    assert sqlite3.connect(tmp_path / "s.db").execute("PRAGMA user_version").fetchone()[0] == len(migrations())
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
    assert new.schema_version == len(migrations())
    assert new.catalog.get(_track(1).id).title == "Song 1"
    assert new.settings.get("bob").version == 3
    new.events.record(Event(at=datetime.now(UTC), user="bob", kind="tool", name="x"))
    assert len(new.events.list()) == 1


def test_file_newer_than_the_code_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "future.db"
    SqliteStore(path).close()
    conn = sqlite3.connect(path)
    conn.execute(f"PRAGMA user_version = {len(migrations()) + 5}")
    conn.close()
    with pytest.raises(NotConfiguredError, match="newer EchoTune") as info:
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
    assert conn.execute("SELECT count(*) FROM sqlite_master WHERE name = 'events'").fetchone()[0] == 0


def test_a_failed_transaction_writes_nothing(tmp_path: Path) -> None:
    store = SqliteStore(tmp_path / "s.db")
    store.catalog.upsert([_track(1)])
    with pytest.raises(RuntimeError), store.tx() as conn:
        conn.execute("DELETE FROM tracks")
        conn.execute("INSERT INTO meta VALUES ('k', 'v')")
        raise RuntimeError("crash mid-transaction")
    assert store.catalog.count() == 1 and store.meta.get("k") is None


def test_catalog_repository(tmp_path: Path) -> None:
    store = SqliteStore(tmp_path / "s.db")
    store.catalog.upsert([_track(i, year=2000 + i) for i in range(5)])
    assert store.catalog.count() == 5
    assert set(store.catalog.get_many([_track(1).id, _track(3).id, "missing"])) == {_track(1).id, _track(3).id}
    assert store.catalog.by_match_keys(["song 2|artist 2", "nope|nope"]) == {"song 2|artist 2": _track(2).id}
    assert [t.year for t in store.catalog.all()] == [2000, 2001, 2002, 2003, 2004]
    store.catalog.upsert([_track(1, year=1999)])
    assert store.catalog.get(_track(1).id).year == 1999 and store.catalog.count() == 5


def test_feedback_needs_a_known_track(tmp_path: Path) -> None:
    store = SqliteStore(tmp_path / "s.db")
    store.catalog.upsert([_track(1)])
    at = datetime(2026, 1, 1, tzinfo=UTC)
    store.feedback.add(Feedback(user="u", track_id=_track(1).id, kind="like", at=at))
    with pytest.raises(sqlite3.IntegrityError):
        store.feedback.add(Feedback(user="u", track_id="unknown", kind="like", at=at))
    assert [f.kind for f in store.feedback.for_user("u")] == ["like"]


def test_naive_datetimes_are_refused(tmp_path: Path) -> None:
    store = SqliteStore(tmp_path / "s.db")
    with pytest.raises(ValueError, match="naive"):
        store.events.record(Event(at=datetime(2026, 1, 1), user="u", kind="tool", name="x"))
