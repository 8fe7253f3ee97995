"""Scale-out fixtures: an empty Redis database per test (the servers themselves are in tests/conftest.py)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest


@pytest.fixture
def fresh_redis(redis_url: str) -> Iterator[str]:
    """The Redis URL with an empty database for this test."""
    import redis

    client = redis.Redis.from_url(redis_url)
    client.flushdb()
    yield redis_url
    client.flushdb()
    client.close()
