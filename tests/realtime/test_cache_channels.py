"""Cache channels: the last server event reaches each new subscriber; cache_miss otherwise."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pusher
import pytest

from forge_suite.realtime import abroadcast
from forge_suite.realtime.cache import forget_all
from forge_suite.realtime.hub import reset_hub
from forge_suite.realtime.testing import PusherCommunicator
from tests.realtime.harness import APP

KEY, SECRET = "cache-key", "cache-secret"


@pytest.fixture
async def memory_layer(settings: Any) -> AsyncIterator[Any]:
    from channels.layers import channel_layers

    settings.CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}
    settings.FORGE = {"REALTIME": {"APPS": [{"id": "9", "key": KEY, "secret": SECRET}]}}
    channel_layers.backends.clear()
    forget_all()
    yield settings
    await reset_hub()
    forget_all()
    channel_layers.backends.clear()


async def test_late_subscriber_gets_the_last_event_and_an_empty_channel_a_cache_miss(
    memory_layer: Any,
) -> None:
    first = PusherCommunicator(app_key=KEY, app_secret=SECRET)
    await first.open()
    miss = await first.subscribe("cache-prices")
    assert miss["event"] == "pusher_internal:subscription_succeeded"
    assert await first.recv() == {"event": "pusher:cache_miss", "channel": "cache-prices"}
    await abroadcast("price", {"v": 1}).to_channel("cache-prices")
    await abroadcast("price", {"v": 2}).to_channel("cache-prices")
    assert (await first.recv())["data"] == {"v": 1}
    assert (await first.recv())["data"] == {"v": 2}

    late = PusherCommunicator(app_key=KEY, app_secret=SECRET)
    await late.open()
    assert (await late.subscribe("cache-prices"))["event"] == (
        "pusher_internal:subscription_succeeded"
    )
    assert await late.recv() == {"event": "price", "channel": "cache-prices", "data": {"v": 2}}
    assert await late.nothing()
    await first.close()
    await late.close()


async def test_client_events_are_not_cached(memory_layer: Any) -> None:
    sender = PusherCommunicator(app_key=KEY, app_secret=SECRET)
    witness = PusherCommunicator(app_key=KEY, app_secret=SECRET)
    for client in (sender, witness):
        await client.open()
        await client.subscribe("private-cache-chat")
        assert (await client.recv())["event"] == "pusher:cache_miss"
    await sender.send("client-typing", {"who": "a"}, channel="private-cache-chat")
    assert (await witness.recv())["event"] == "client-typing"  # delivered, and not kept:
    late = PusherCommunicator(app_key=KEY, app_secret=SECRET)
    await late.open()
    first = await late.subscribe("private-cache-chat")
    assert first["event"] == "pusher_internal:subscription_succeeded", first
    assert (await late.recv())["event"] == "pusher:cache_miss"
    for client in (sender, witness, late):
        await client.close()


@pytest.mark.redis
@pytest.mark.slow
def test_pusher_js_late_subscriber_on_another_process_gets_the_cached_event(
    redis_servers: Any, node: Any
) -> None:
    a, b = redis_servers(), redis_servers()
    official = pusher.Pusher(
        app_id=APP["id"],
        key=APP["key"],
        secret=APP["secret"],
        host="127.0.0.1",
        port=a.port,
        ssl=False,
    )
    node.connect("early", b)
    node.send(cmd="subscribe", id="early", channel="cache-scores")
    node.event("early", "pusher:cache_miss", "cache-scores")
    official.trigger("cache-scores", "score", {"home": 1, "away": 0})
    node.event("early", "score", "cache-scores")

    node.connect("late", b)
    node.send(cmd="subscribe", id="late", channel="cache-scores")
    node.event("late", "pusher:subscription_succeeded", "cache-scores")
    assert node.event("late", "score", "cache-scores")["data"] == {"home": 1, "away": 0}
    assert node.events("late", "pusher:cache_miss") == []
    info = official.channel_info("cache-scores", ["cache"])
    assert info["cache"]["data"] == '{"home": 1, "away": 0}'  # as the library encoded it
    assert 0 < info["cache"]["ttl"] <= 1800
