"""The Context: everything a tool needs, built once from the Config and passed in (no module globals).

Heavy parts (catalog search index, Spotify backend, recommender, embedding model) are built on first use and
shared by every per-user view of the same Context, so `echotune --help` and server start-up stay fast.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, TypeVar

from echotune.tools.config import Config, load_config
from echotune.tools.store import Store, open_store

if TYPE_CHECKING:
    from echotune.tools.cache import Cache
    from echotune.tools.catalog import CatalogIndex
    from echotune.tools.playback.backend import Player

T = TypeVar("T")
Progress = Callable[[str, int, int], None]
"""progress(task, done, total): long work reports through this; faces draw bars (stderr only)."""


def utcnow() -> datetime:
    return datetime.now(UTC)


class _Lazy:
    """Shared, thread-safe cache of heavy services, keyed by name."""

    def __init__(self) -> None:
        self.values: dict[str, Any] = {}
        self.lock = threading.RLock()

    def get(self, key: str, factory: Callable[[], T]) -> T:
        try:  # built already: no lock, so a quick read never waits while another thread builds something slow
            return self.values[key]
        except KeyError:
            pass
        with self.lock:
            if key not in self.values:
                self.values[key] = factory()
            return self.values[key]


@dataclass(kw_only=True)
class Context:
    """One installation's services, seen as one user.

    config: where data lives and which backends to use.
    store: the repositories (SQLite or MongoDB).
    user: whose data tools read and change; `for_user` gives another user's view of the same services.
    face: who is calling (cli, agent, mcp, python), recorded with every tool call.
    clock: the time source; tests freeze it.
    progress: where long work reports progress, or None.
    event_data: extra facts recorded with every tool event of this view (the MCP face adds the token's scope).
    local_files: False for remote callers, whose file paths stay inside their folder (tools/files.py).
    """

    config: Config
    store: Store
    user: str
    face: str = "python"
    clock: Callable[[], datetime] = utcnow
    progress: Progress | None = None
    event_data: dict[str, Any] = field(default_factory=dict)
    local_files: bool = True
    _lazy: _Lazy = field(default_factory=_Lazy, repr=False)

    @classmethod
    def from_config(cls, config: Config | None = None, **kw: Any) -> Context:
        config = config or load_config()
        return cls(config=config, store=open_store(config), user=kw.pop("user", config.user), **kw)

    def for_user(self, user: str) -> Context:
        """The same services acting on another user's data (MCP tokens belong to one user each)."""
        return replace(self, user=user)

    def lazy(self, key: str, factory: Callable[[], T]) -> T:
        """Build a heavy service once per Context and share it."""
        return self._lazy.get(key, factory)

    def forget(self, key: str) -> None:
        """Drop a cached service so the next use rebuilds it (e.g. the catalog index after new tracks)."""
        with self._lazy.lock:
            self._lazy.values.pop(key, None)

    def report(self, task: str, done: int, total: int) -> None:
        if self.progress:
            self.progress(task, done, total)

    @property
    def catalog(self) -> CatalogIndex:
        from echotune.tools.catalog import CatalogIndex

        return self.lazy("catalog", lambda: CatalogIndex.load(self))

    @property
    def player(self) -> Player:
        """The music player: Spotify when an account is linked, else the local player over the catalog."""
        from echotune.tools.playback.backend import player_for

        return player_for(self)

    @property
    def cache(self) -> Cache:
        """Redis when `redis_url` is configured (shared by every process), else this process's memory."""
        from echotune.tools.cache import MemoryCache, RedisCache

        url = self.config.redis_url
        return self.lazy("cache", lambda: RedisCache(url) if url else MemoryCache())

    def close(self) -> None:
        self.store.close()
