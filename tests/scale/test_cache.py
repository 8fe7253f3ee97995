"""The per-user cache, in memory and in Redis: expiry, O(1) per-user invalidation, sharing across processes."""

from __future__ import annotations

import time

import pytest

from echotune.tools.cache import MemoryCache, RedisCache
from echotune.tools.config import load_config
from echotune.tools.context import Context


class Clock:
    def __init__(self) -> None:
        self.t = 1000.0

    def __call__(self) -> float:
        return self.t


@pytest.fixture(params=["memory", "redis"])
def cache(request: pytest.FixtureRequest):
    if request.param == "memory":
        return MemoryCache()
    return RedisCache(request.getfixturevalue("fresh_redis"))


def test_set_get_and_invalidate_one_user(cache) -> None:
    cache.set("ann", "recs", b"1", ttl_s=60)
    cache.set("bob", "recs", b"2", ttl_s=60)
    assert (cache.get("ann", "recs"), cache.get("bob", "recs"), cache.get("ann", "other")) == (b"1", b"2", None)
    cache.invalidate("ann")
    assert cache.get("ann", "recs") is None and cache.get("bob", "recs") == b"2"
    cache.set("ann", "recs", b"3", ttl_s=60)
    assert cache.get("ann", "recs") == b"3"


def test_memory_expiry_and_bound() -> None:
    clock = Clock()
    cache = MemoryCache(max_items=3, clock=clock)
    cache.set("u", "a", b"a", ttl_s=10)
    clock.t += 11
    assert cache.get("u", "a") is None
    for key in "bcde":
        cache.set("u", key, key.encode(), ttl_s=100)
    assert sum(cache.get("u", k) is not None for k in "bcde") == 3


def test_redis_expiry(fresh_redis: str) -> None:
    cache = RedisCache(fresh_redis)
    cache.set("u", "k", b"v", ttl_s=0.05)
    assert cache.get("u", "k") == b"v"
    time.sleep(0.15)
    assert cache.get("u", "k") is None


def test_two_servers_share_one_redis_cache(fresh_redis: str) -> None:
    """Two EchoTune processes (here two Contexts) over one Redis see each other's entries and invalidations."""
    a, b = RedisCache(fresh_redis), RedisCache(fresh_redis)
    a.set("u", "recs", b"from-a", ttl_s=60)
    assert b.get("u", "recs") == b"from-a"
    b.invalidate("u")
    assert a.get("u", "recs") is None


def test_context_picks_the_backend(tmp_path, fresh_redis: str) -> None:
    plain = Context.from_config(load_config({"data_dir": tmp_path / "a"}, environ={}, config_file=tmp_path / "x.toml"))
    shared = Context.from_config(
        load_config(
            {"data_dir": tmp_path / "b"}, environ={"ECHOTUNE_REDIS_URL": fresh_redis}, config_file=tmp_path / "x.toml"
        )
    )
    assert (plain.cache.backend, shared.cache.backend) == ("memory", "redis")
    assert shared.cache is shared.for_user("x").cache, "one cache per Context, shared by its user views"
    plain.close()
    shared.close()
