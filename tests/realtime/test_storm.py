"""Reconnect storms: 1,000 clients subscribe at the same moment, then all close together."""

from __future__ import annotations

import asyncio
import json
import time
from typing import Any

import pusher
import pytest

from tests.realtime.harness import APP
from tests.support.pusher_storm import close_all, collect, storm

pytestmark = [pytest.mark.redis, pytest.mark.slow]

CLIENTS = 1000
PRESENCE_CHANNELS = 20  # 50 members each, under the default limit of 100


def api(server: Any) -> pusher.Pusher:
    return pusher.Pusher(
        app_id=APP["id"],
        key=APP["key"],
        secret=APP["secret"],
        host="127.0.0.1",
        port=server.port,
        ssl=False,
    )


def _channel_of(kind: str) -> Any:
    if kind == "public":
        return lambda i: "storm"
    return lambda i: f"presence-storm.{i % PRESENCE_CHANNELS}"


def _wait(predicate: Any, timeout: float = 15) -> Any:
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value or time.monotonic() > deadline:
            return value
        time.sleep(0.2)


@pytest.mark.parametrize("processes", [1, 2])
@pytest.mark.parametrize("kind", ["public", "presence"])
async def test_a_reconnect_storm_has_no_failure(
    redis_servers: Any, kind: str, processes: int
) -> None:
    # uvicorn: daphne (autobahn) spends ~8 ms of CPU per handshake and rejects one that its
    # application has not accepted within 5 s (--websocket_connect_timeout); see the docs.
    servers = [redis_servers(server="uvicorn") for _ in range(processes)]
    ports = [s.port for s in servers]
    channel_of = _channel_of(kind)
    # One watcher per presence channel sees the members come and go.
    watchers = []
    if kind == "presence":
        result = await storm(
            ports, APP["key"], APP["secret"], PRESENCE_CHANNELS, channel_of, user_prefix="w"
        )
        assert result.failures == []
        watchers = result.clients

    result = await storm(ports, APP["key"], APP["secret"], CLIENTS, channel_of)
    assert result.failures == [], (result.seconds, result.failures[:3])
    assert len(result.clients) == CLIENTS

    client = api(servers[0])
    if kind == "public":
        info = await asyncio.to_thread(client.channel_info, "storm", ["subscription_count"])
        assert info == {"occupied": True, "subscription_count": CLIENTS}
    else:
        users = await asyncio.to_thread(client.users_info, "presence-storm.3")
        assert len(users["users"]) == CLIENTS // PRESENCE_CHANNELS + 1

    await close_all(result.clients)

    if kind == "presence":
        per_channel = CLIENTS // PRESENCE_CHANNELS

        def removed(frames: list[dict[str, Any]]) -> int:
            return sum(f["event"] == "pusher_internal:member_removed" for f in frames)

        seen = await asyncio.gather(
            *(
                collect(w.ws, lambda frames: removed(frames) >= per_channel, timeout=20)
                for w in watchers
            )
        )
        # member_removed comes from the closes themselves, not from the TTL sweep (30 s).
        assert [removed(frames) for frames in seen] == [per_channel] * PRESENCE_CHANNELS
        ids = {json.loads(f["data"])["user_id"] for f in seen[3] if "member_removed" in f["event"]}
        assert len(ids) == per_channel
        users = await asyncio.to_thread(client.users_info, "presence-storm.3")
        assert users == {"users": [{"id": "w3"}]}
        await close_all(watchers)
    else:

        def vacated() -> bool:
            return client.channel_info("storm", ["subscription_count"]) == {
                "occupied": False,
                "subscription_count": 0,
            }

        assert await asyncio.to_thread(_wait, vacated)
    for server in servers:
        output = server.output()
        assert "Traceback" not in output, output[-3000:]
        assert "failed" not in output, output[-3000:]


async def test_max_connections_of_an_app_counts_every_process(redis_servers: Any) -> None:
    config = {"APPS": [{**APP, "max_connections": 3}]}
    a, b = redis_servers(config), redis_servers(config)
    result = await storm([a.port, b.port], APP["key"], APP["secret"], 5, lambda i: "news")
    assert len(result.clients) == 3
    assert len(result.failures) == 2
    assert all("4004" in failure for failure in result.failures), result.failures
    await close_all(result.clients[:1])
    await asyncio.sleep(0.3)  # the release is one batched Redis call away
    again = await storm([b.port], APP["key"], APP["secret"], 2, lambda i: "news")
    assert (len(again.clients), len(again.failures)) == (1, 1)
    await close_all(result.clients[1:] + again.clients)
