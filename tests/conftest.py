"""Shared fixtures. Every test runs with its own data dir and config file (nothing touches the real user's
folders), with ECHOTUNE_* and provider keys cleared from the environment."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from echotune.tools.config import load_config
from echotune.tools.context import Context

CLEARED_ENV = ("OPENAI_API_KEY", "GOOGLE_API_KEY", "GEMINI_API_KEY", "OPENROUTER_API_KEY")


@pytest.fixture(autouse=True)
def isolated_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    import os

    for key in list(os.environ):
        if key.startswith("ECHOTUNE_") or key in CLEARED_ENV:
            monkeypatch.delenv(key)
    data = tmp_path / "data"
    monkeypatch.setenv("ECHOTUNE_DATA_DIR", str(data))
    monkeypatch.setenv("ECHOTUNE_CONFIG", str(tmp_path / "config.toml"))
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    return data


class FrozenClock:
    """A clock tests move by hand."""

    def __init__(self, start: datetime | None = None):
        self.now = start or datetime(2026, 11, 1, 12, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **kw: float) -> datetime:
        self.now += timedelta(**kw)
        return self.now


@pytest.fixture
def clock() -> FrozenClock:
    return FrozenClock()


@pytest.fixture(scope="session")
def catalog_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A store with the bundled catalog loaded once per session; tests get copies of it."""
    data = tmp_path_factory.mktemp("catalog-template")
    ctx = Context.from_config(load_config({"data_dir": data}, config_file=data / "absent.toml", environ={}))
    from echotune.tools.catalog import ensure_bundled

    ensure_bundled(ctx)
    ctx.close()
    return data / "echotune.sqlite3"


@pytest.fixture
def ctx(isolated_env: Path, catalog_db: Path, clock: FrozenClock) -> Iterator[Context]:
    """A Context over a fresh copy of the catalog-loaded store, with a frozen clock."""
    isolated_env.mkdir(parents=True, exist_ok=True)
    shutil.copy(catalog_db, isolated_env / "echotune.sqlite3")
    context = Context.from_config(clock=clock)
    yield context
    context.close()


@pytest.fixture
def empty_ctx(isolated_env: Path, clock: FrozenClock) -> Iterator[Context]:
    """A Context over a brand-new store (no catalog loaded yet)."""
    context = Context.from_config(clock=clock)
    yield context
    context.close()


@pytest.fixture(scope="session")
def mongo_uri(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A MongoDB wire-protocol server for the whole session (tests/services.py)."""
    from tests.services import mongo_server

    with mongo_server(tmp_path_factory.mktemp("mongo")) as uri:
        yield uri


@pytest.fixture(scope="session")
def redis_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A Redis server for the whole session (tests/services.py)."""
    from tests.services import redis_server

    with redis_server(tmp_path_factory.mktemp("redis")) as url:
        yield url
