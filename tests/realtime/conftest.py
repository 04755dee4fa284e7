"""Fixtures of the realtime tests: servers, Node clients, a Redis prefix per run."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from tests.realtime.harness import APP, NodeClients, Server, require_node


@pytest.fixture
def realtime_redis_url(redis_url: str) -> str:
    """The test Redis (FORGE_TEST_REDIS_URL); every key is under :func:`run_prefix`."""
    return redis_url


@pytest.fixture
def run_prefix(realtime_redis_url: str) -> Iterator[str]:
    """A unique channel-layer and key prefix; its Redis keys are removed afterwards."""
    import redis

    prefix = f"forge-rt-{uuid.uuid4().hex[:10]}"
    yield prefix
    client = redis.Redis.from_url(realtime_redis_url)
    for key in client.scan_iter(match=f"{prefix}*", count=500):
        client.delete(key)
    client.close()


@pytest.fixture
def start_server() -> Iterator[Callable[..., Server]]:
    servers: list[Server] = []

    def start(realtime: dict[str, Any] | None = None, server: str = "daphne", **env: str) -> Server:
        config = {"APPS": [APP], "CHANNEL_MODULES": ["tests.realtime.channel_routes"]}
        config.update(realtime or {})
        process = Server(config, env, server)
        servers.append(process)
        return process

    yield start
    for server in servers:
        if server.proc.poll() is None:
            server.stop()


@pytest.fixture(scope="module")
def shared_server() -> Iterator[Server]:
    """One server for every test of a module that only sends requests (no state to reset)."""
    server = Server({"APPS": [APP], "CHANNEL_MODULES": ["tests.realtime.channel_routes"]})
    yield server
    server.stop()


@pytest.fixture
def redis_servers(
    start_server: Callable[..., Server], realtime_redis_url: str, run_prefix: str
) -> Callable[..., Server]:
    """Start servers sharing one Redis pub/sub layer and presence store."""

    def start(realtime: dict[str, Any] | None = None, server: str = "daphne", **env: str) -> Server:
        config = {"REDIS_URL": realtime_redis_url, "KEY_PREFIX": run_prefix, **(realtime or {})}
        return start_server(
            config,
            server,
            FORGE_RT_REDIS_URL=realtime_redis_url,
            FORGE_RT_PREFIX=run_prefix,
            **env,
        )

    return start


@pytest.fixture
def node() -> Iterator[NodeClients]:
    require_node()
    clients = NodeClients()
    yield clients
    clients.close()


@pytest.fixture
def redis_layer_settings(settings: Any, realtime_redis_url: str, run_prefix: str) -> Any:
    """Make this test process broadcast through the same Redis layer as the servers."""
    settings.CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "channels_redis.pubsub.RedisPubSubChannelLayer",
            "CONFIG": {"hosts": [realtime_redis_url], "prefix": run_prefix},
        }
    }
    settings.FORGE = {"REALTIME": {"APPS": [APP]}}
    from channels.layers import channel_layers

    channel_layers.backends.clear()
    yield settings
    channel_layers.backends.clear()
