"""One `store` fixture per backend: every contract test runs against SQLite and MongoDB alike."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest


@pytest.fixture(params=["sqlite", "mongo"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator:
    if request.param == "sqlite":
        from echotune.tools.store.sqlite import SqliteStore

        s = SqliteStore(tmp_path / "contract.sqlite3")
    else:
        from echotune.tools.store.mongo import MongoStore

        uri = request.getfixturevalue("mongo_uri")
        s = MongoStore(uri, f"contract_{uuid.uuid4().hex[:12]}")
    yield s
    if request.param == "mongo":
        s.client.drop_database(s.db.name)
    s.close()
