from __future__ import annotations

import asyncio
import socket
import uuid
from typing import Any

import pytest
import redis
from django.test import override_settings

from forge_suite.core.exceptions import ForgeError, ServiceUnavailable
from forge_suite.core.redis import (
    RedisNotConfigured,
    RedisPoolExhausted,
    get_async_redis,
    get_redis,
    ping_redis,
    redact_url,
    reset_clients,
)


def test_unconfigured_redis_raises_a_clear_error() -> None:
    with override_settings(FORGE={}), pytest.raises(RedisNotConfigured, match="REDIS_URL"):
        get_redis()


@pytest.mark.redis
def test_client_is_pooled_per_url_and_talks_to_real_redis(redis_url: str) -> None:
    with override_settings(FORGE={"REDIS_URL": redis_url}):
        client = get_redis()
        assert get_redis() is client
        key = "forge-test:core:pool"
        client.set(key, "1", ex=10)
        assert client.get(key) == b"1"
        client.delete(key)
        ping_redis()
    reset_clients()


@pytest.mark.redis
async def test_async_client_talks_to_real_redis(redis_url: str) -> None:
    with override_settings(FORGE={"REDIS_URL": redis_url}):
        client = get_async_redis()
        try:
            assert await client.ping() is True
        finally:
            await client.aclose()


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_unreachable_redis_gives_a_clear_error_without_the_password() -> None:
    url = f"redis://user:s3cret@127.0.0.1:{_closed_port()}/0"
    with (
        override_settings(FORGE={"REDIS_URL": url, "REDIS_SOCKET_TIMEOUT": 0.5}),
        pytest.raises(ServiceUnavailable) as info,
    ):
        ping_redis()
    reset_clients()
    message = str(info.value)
    assert "unreachable" in message
    assert "s3cret" not in message
    assert isinstance(info.value, ForgeError)
    assert isinstance(info.value, ConnectionError)


@pytest.mark.parametrize(
    ("url", "shown"),
    [
        ("redis://user:pw@h:6379/0", "redis://user:***@h:6379/0"),
        ("redis://:pw@h/0", "redis://:***@h/0"),
        ("redis://user@h/0", "redis://user@h/0"),
        ("redis://h:6379/0", "redis://h:6379/0"),
        ("rediss://u:p@ss@h/1", "rediss://u:***@h/1"),
    ],
)
def test_redact_url_hides_only_the_password(url: str, shown: str) -> None:
    assert redact_url(url) == shown


def _pool_settings(redis_url: str, size: int, timeout: float) -> Any:
    return override_settings(
        FORGE={"REDIS_URL": redis_url, "REDIS_MAX_CONNECTIONS": size, "REDIS_POOL_TIMEOUT": timeout}
    )


@pytest.mark.redis
async def test_a_thousand_concurrent_async_calls_share_a_pool_of_twenty(redis_url: str) -> None:
    key = f"forge-test:core:{uuid.uuid4().hex}"
    with _pool_settings(redis_url, 20, 30):
        reset_clients()
        clients = [get_async_redis() for _ in range(10)]
        pool = clients[0].connection_pool
        assert all(c.connection_pool is pool for c in clients), "one pool per loop and URL"
        created: list[Any] = []
        make = pool.make_connection

        def counting_make() -> Any:
            created.append(make())
            return created[-1]

        pool.make_connection = counting_make
        try:
            results = await asyncio.gather(
                *(clients[i % 10].incr(key) for i in range(1000)), return_exceptions=True
            )
            errors = [r for r in results if isinstance(r, BaseException)]
            assert errors == []
            assert sorted(results) == list(range(1, 1001))
            assert 1 <= len(created) <= 20
            assert await clients[0].get(key) == b"1000"
        finally:
            await clients[0].delete(key)
            for client in clients:
                await client.aclose()
            await pool.disconnect()
            reset_clients()


@pytest.mark.redis
async def test_each_event_loop_gets_its_own_async_pool(redis_url: str) -> None:
    with _pool_settings(redis_url, 5, 5):
        here = get_async_redis()

        def other_loop() -> Any:
            async def make() -> Any:
                client = get_async_redis()
                assert await client.ping() is True
                pool = client.connection_pool
                await client.aclose()
                await pool.disconnect()
                return pool

            return asyncio.run(make())

        other = await asyncio.to_thread(other_loop)
        assert other is not here.connection_pool
        assert get_async_redis().connection_pool is here.connection_pool
        await here.aclose()
        reset_clients()


@pytest.mark.redis
def test_pools_of_finished_event_loops_are_dropped(redis_url: str) -> None:
    """async_to_sync runs each call in a new loop: their pools must not pile up."""
    from forge_suite.core import redis as core_redis

    async def ping() -> None:
        client = get_async_redis()
        assert await client.ping() is True
        await client.aclose()

    with _pool_settings(redis_url, 5, 5):
        reset_clients()
        for _ in range(3):
            asyncio.run(ping())
        assert len(core_redis._async_pools) <= 1
        asyncio.run(ping())
        assert len(core_redis._async_pools) == 1
        reset_clients()


@pytest.mark.redis
async def test_an_exhausted_async_pool_fails_clearly_after_its_timeout(redis_url: str) -> None:
    with _pool_settings(redis_url, 2, 0.2):
        reset_clients()
        client = get_async_redis()
        pool = client.connection_pool
        held = [await pool.get_connection(), await pool.get_connection()]
        try:
            with pytest.raises(RedisPoolExhausted) as info:
                await client.ping()
        finally:
            for conn in held:
                await pool.release(conn)
        assert await client.ping() is True  # free again once a connection comes back
        await client.aclose()
        await pool.disconnect()
        reset_clients()
    _assert_clear(info.value, 2, 0.2)


@pytest.mark.redis
def test_an_exhausted_sync_pool_waits_then_fails_clearly(redis_url: str) -> None:
    with _pool_settings(redis_url, 1, 0.2):
        reset_clients()
        client = get_redis()
        pool = client.connection_pool
        held = pool.get_connection()
        try:
            with pytest.raises(RedisPoolExhausted) as info:
                client.ping()
        finally:
            pool.release(held)
        assert client.ping() is True
        reset_clients()
    _assert_clear(info.value, 1, 0.2)


def _assert_clear(exc: BaseException, size: int, timeout: float) -> None:
    message = str(exc)
    assert f"all {size} connections stayed busy for {timeout}s" in message
    assert "REDIS_MAX_CONNECTIONS" in message
    assert "REDIS_POOL_TIMEOUT" in message
    # Code that already handles "Redis is down" handles this too.
    assert isinstance(exc, ServiceUnavailable)
    assert isinstance(exc, redis.ConnectionError)


def test_the_pool_timeout_message_hides_the_password() -> None:
    url = f"redis://user:s3cret@127.0.0.1:{_closed_port()}/0"
    with override_settings(FORGE={"REDIS_URL": url, "REDIS_POOL_TIMEOUT": 0.1}):
        reset_clients()
        client = get_redis()
        pool = client.connection_pool
        held = [pool.pool.get_nowait() for _ in range(pool.pool.qsize())]
        try:
            with pytest.raises(RedisPoolExhausted) as info:
                client.ping()
        finally:
            for item in held:
                pool.pool.put_nowait(item)
        reset_clients()
    assert "user:***@127.0.0.1" in str(info.value)
    assert "s3cret" not in str(info.value)
