"""A real Redis server for the scale-out tests, started once per session on a free loopback port."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.services import redis_server


@pytest.fixture(scope="session")
def redis_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with redis_server(tmp_path_factory.mktemp("redis")) as url:
        yield url


@pytest.fixture
def fresh_redis(redis_url: str) -> Iterator[str]:
    """The Redis URL with an empty database for this test."""
    import redis

    client = redis.Redis.from_url(redis_url)
    client.flushdb()
    yield redis_url
    client.flushdb()
    client.close()
