"""Fixtures of the throttling tests: a controllable clock and stores with private prefixes."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any

import pytest

from forge_suite.throttling import api
from forge_suite.throttling.stores import CacheStore, MemoryStore, RedisStore, Store
from forge_suite.throttling.testing import EPOCH as T0
from forge_suite.throttling.testing import FakeClock

__all__ = ["T0", "FakeClock"]


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


def delete_prefix(url: str, prefix: str) -> None:
    import redis

    client = redis.Redis.from_url(url)
    for key in client.scan_iter(match=f"{prefix}*", count=500):
        client.delete(key)
    client.close()


@pytest.fixture
def redis_prefix(redis_url: str) -> Iterator[str]:
    """A key prefix owned by this test on the shared test Redis, cleaned up afterwards."""
    prefix = f"forge-test:throttling:{uuid.uuid4().hex[:12]}:"
    yield prefix
    delete_prefix(redis_url, prefix)


@pytest.fixture(params=["memory", "cache", "redis"])
def any_store(request: pytest.FixtureRequest, clock: FakeClock) -> Store:
    """Each store with the fake clock; the Redis one on the real server."""
    if request.param == "memory":
        return MemoryStore(clock=clock)
    if request.param == "cache":
        from django.core.cache import caches

        caches["default"].clear()
        return CacheStore("default", prefix=f"t{uuid.uuid4().hex[:8]}:", clock=clock)
    request.applymarker(pytest.mark.redis)
    url = request.getfixturevalue("redis_url")
    prefix = request.getfixturevalue("redis_prefix")
    return RedisStore(url, prefix=prefix, clock=clock)


@pytest.fixture
def use_store() -> Iterator[Any]:
    """Install a store for check()/middleware for one test: ``use_store(store)``."""

    def install(store: Store) -> Store:
        api.set_store(store)
        return store

    yield install
    api.set_store(None)


@pytest.fixture
def memory_store(clock: FakeClock, use_store: Any) -> MemoryStore:
    store: MemoryStore = use_store(MemoryStore(clock=clock))
    return store


@pytest.fixture
def hanging_redis_url() -> Iterator[str]:
    """A loopback TCP server that accepts connections and never answers (a hung Redis)."""
    from tests.support.sockets import HangingServer

    server = HangingServer()
    yield f"redis://127.0.0.1:{server.port}/0"
    server.close()
