"""A per-user cache with expiry: Redis when configured (shared by every server process), else in memory.

Invalidation is per user and O(1): every key carries the user's generation number, and `invalidate(user)`
bumps it, so feedback makes every cached recommendation of that user stale at once.
"""

from __future__ import annotations

import threading
import time
from typing import Protocol


class Cache(Protocol):
    backend: str

    def get(self, user: str, key: str) -> bytes | None: ...
    def set(self, user: str, key: str, value: bytes, ttl_s: float) -> None: ...
    def invalidate(self, user: str) -> None: ...


class MemoryCache:
    """One process's cache (the embedded default)."""

    backend = "memory"

    def __init__(self, max_items: int = 10_000, clock=time.monotonic):
        self._items: dict[tuple[str, int, str], tuple[float, bytes]] = {}
        self._generation: dict[str, int] = {}
        self._lock = threading.Lock()
        self._max = max_items
        self._clock = clock

    def get(self, user: str, key: str) -> bytes | None:
        with self._lock:
            item = self._items.get((user, self._generation.get(user, 0), key))
            if item is None or item[0] < self._clock():
                return None
            return item[1]

    def set(self, user: str, key: str, value: bytes, ttl_s: float) -> None:
        with self._lock:
            if len(self._items) >= self._max:
                now = self._clock()
                self._items = {k: v for k, v in self._items.items() if v[0] >= now}
                if len(self._items) >= self._max:
                    self._items.pop(next(iter(self._items)))
            self._items[(user, self._generation.get(user, 0), key)] = (self._clock() + ttl_s, value)

    def invalidate(self, user: str) -> None:
        with self._lock:
            self._generation[user] = self._generation.get(user, 0) + 1
            self._items = {k: v for k, v in self._items.items() if k[0] != user}


class RedisCache:
    """Redis-backed cache: keys `echotune:cache:<user>:<generation>:<key>` with Redis expiry."""

    backend = "redis"

    def __init__(self, url: str, prefix: str = "echotune"):
        import redis

        self.r = redis.Redis.from_url(url, socket_connect_timeout=2, socket_timeout=2)
        self.prefix = prefix

    def _gen(self, user: str) -> int:
        return int(self.r.get(f"{self.prefix}:gen:{user}") or 0)

    def get(self, user: str, key: str) -> bytes | None:
        return self.r.get(f"{self.prefix}:cache:{user}:{self._gen(user)}:{key}")

    def set(self, user: str, key: str, value: bytes, ttl_s: float) -> None:
        self.r.set(f"{self.prefix}:cache:{user}:{self._gen(user)}:{key}", value, px=max(1, int(ttl_s * 1000)))

    def invalidate(self, user: str) -> None:
        self.r.incr(f"{self.prefix}:gen:{user}")
