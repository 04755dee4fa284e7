from __future__ import annotations

import socket

import pytest
from django.test import override_settings

from forge_suite.core.exceptions import ForgeError, ServiceUnavailable
from forge_suite.core.redis import (
    RedisNotConfigured,
    get_async_redis,
    get_redis,
    ping_redis,
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
