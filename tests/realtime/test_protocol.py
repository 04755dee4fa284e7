"""The Pusher protocol over a real ASGI WebSocket (channels' communicator), in-memory layer."""

from __future__ import annotations

import asyncio
import json
import re
from collections.abc import AsyncIterator
from typing import Any

import pytest

from forge_suite.realtime import abroadcast
from forge_suite.realtime.hub import reset_hub
from forge_suite.realtime.signing import channel_auth, user_auth
from forge_suite.realtime.testing import PusherCommunicator

KEY, SECRET = "proto-key", "proto-secret"
APP = {"id": "77", "key": KEY, "secret": SECRET}


@pytest.fixture(autouse=True)
async def realtime_settings(settings: Any) -> AsyncIterator[Any]:
    settings.CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}
    settings.FORGE = {
        "REALTIME": {
            "APPS": [
                {**APP, "client_event_rate": "3/s", "max_message_size": 2000},
                {
                    "id": "78",
                    "key": "small-key",
                    "secret": "s",
                    "max_connections": 1,
                    "client_events": False,
                },
            ],
            # Long enough that a slow machine never pings (and then closes) an idle client in
            # the middle of a test; the ping tests ask for `fast_activity` instead.
            "ACTIVITY_TIMEOUT": 120,
            "PONG_TIMEOUT": 30,
        }
    }
    from channels.layers import channel_layers

    channel_layers.backends.clear()
    yield settings
    await reset_hub()
    channel_layers.backends.clear()


@pytest.fixture
def fast_activity(realtime_settings: Any) -> Any:
    """Ping after 1 s of silence and close 0.6 s after an unanswered ping."""
    forge = realtime_settings.FORGE
    realtime_settings.FORGE = {
        **forge,
        "REALTIME": {**forge["REALTIME"], "ACTIVITY_TIMEOUT": 1, "PONG_TIMEOUT": 0.6},
    }
    return realtime_settings


class Client(PusherCommunicator):
    def __init__(self, key: str = KEY, query: str = "protocol=7&client=js&version=8.4.0") -> None:
        super().__init__(app_key=key, query=query)


@pytest.mark.usefixtures("fast_activity")
async def test_handshake_ping_and_public_subscription() -> None:
    client = Client()
    first = await client.open()
    assert first["event"] == "pusher:connection_established"
    assert re.fullmatch(r"\d+\.\d+", first["data"]["socket_id"])
    assert first["data"]["activity_timeout"] == 1
    await client.send("pusher:ping", {})
    assert (await client.recv())["event"] == "pusher:pong"
    ok = await client.subscribe("public-news")
    assert ok == {
        "event": "pusher_internal:subscription_succeeded",
        "channel": "public-news",
        "data": {},
    }
    await abroadcast("hello", {"a": 1}).to_channel("public-news")
    assert await client.recv() == {"event": "hello", "channel": "public-news", "data": {"a": 1}}
    await client.comm.disconnect()


@pytest.mark.parametrize(
    ("key", "query", "code"),
    [
        ("no-such-key", "protocol=7", 4001),
        (KEY, "protocol=3", 4007),
        (KEY, "protocol=seven", 4006),
    ],
)
async def test_refused_connections_get_fatal_codes(key: str, query: str, code: int) -> None:
    client = Client(key, query)
    error = await client.open()
    assert error["event"] == "pusher:error"
    assert error["data"]["code"] == code
    assert await client.closed() == code


async def test_connection_quota_per_app() -> None:
    first = Client("small-key")
    assert (await first.open())["event"] == "pusher:connection_established"
    second = Client("small-key")
    error = await second.open()
    assert error["data"] == {"code": 4004, "message": "Application is over connection quota"}
    assert await second.closed() == 4004
    await first.comm.disconnect()


async def test_process_capacity_refuses_with_4100(settings: Any) -> None:
    settings.FORGE = {"REALTIME": {**settings.FORGE["REALTIME"], "MAX_CONNECTIONS": 1}}
    first = Client()
    assert (await first.open())["event"] == "pusher:connection_established"
    second = Client()
    error = await second.open()
    assert error["data"] == {"code": 4100, "message": "Over capacity"}
    assert await second.closed() == 4100
    await first.comm.disconnect()


@pytest.mark.parametrize(
    ("frame", "message"),
    [
        ("this is not json", "not JSON"),
        ("[1, 2]", "expected an object"),
        ('{"event": "pusher:dance", "data": {}}', "Unknown event"),
        ('{"event": "pusher:subscribe", "data": 5}', "data must be an object"),
        ('{"event": "pusher:subscribe", "data": {"channel": "bad name!"}}', "may only contain"),
        ('{"event": "pusher:subscribe", "data": {"channel": "' + "x" * 200 + '"}}', "limit is 164"),
        (json.dumps({"event": "pusher:ping", "data": "x" * 3000}), "exceeds the maximum of 2000"),
    ],
)
async def test_bad_frames_get_protocol_errors_and_the_connection_survives(
    frame: str, message: str
) -> None:
    client = Client()
    await client.open()
    await client.comm.send_to(text_data=frame)
    error = await client.recv()
    assert error["event"] == "pusher:error"
    assert error["data"]["code"] == 4200
    assert message in error["data"]["message"]
    await client.send("pusher:ping", {})
    assert (await client.recv())["event"] == "pusher:pong"
    await client.comm.disconnect()


@pytest.mark.usefixtures("fast_activity")
async def test_idle_connection_is_pinged_then_closed_with_4201() -> None:
    client = Client()
    await client.open()
    ping = await client.recv(timeout=4)
    assert ping["event"] == "pusher:ping"
    error = await client.recv(timeout=4)
    assert error["data"]["code"] == 4201
    assert await client.closed() == 4201


@pytest.mark.usefixtures("fast_activity")
async def test_answering_pings_keeps_the_connection_open() -> None:
    client = Client()
    await client.open()
    for _ in range(2):
        assert (await client.recv(timeout=4))["event"] == "pusher:ping"
        await client.send("pusher:pong", {})
    await client.send("pusher:ping", {})
    assert (await client.recv())["event"] == "pusher:pong"
    await client.comm.disconnect()


async def test_private_subscription_needs_the_right_signature() -> None:
    client = Client()
    await client.open()
    refused = await client.subscribe("private-x", auth=f"{KEY}:{'0' * 64}")
    assert refused["event"] == "pusher:subscription_error"
    assert refused["data"]["status"] == 401
    assert (await client.recv())["data"]["code"] == 4009
    auth = channel_auth(KEY, SECRET, client.socket_id, "private-x")
    ok = await client.subscribe("private-x", auth=auth)
    assert ok["event"] == "pusher_internal:subscription_succeeded"
    await client.comm.disconnect()


async def presence_client(user_id: str, channel: str = "presence-room") -> Client:
    client = Client()
    await client.open()
    data = json.dumps({"user_id": user_id, "user_info": {"n": user_id}})
    auth = channel_auth(KEY, SECRET, client.socket_id, channel, data)
    ok = await client.subscribe(channel, auth=auth, channel_data=data)
    assert ok["event"] == "pusher_internal:subscription_succeeded", ok
    client.presence = ok["data"]["presence"]  # type: ignore[attr-defined]
    return client


async def test_presence_members_added_and_removed_on_first_and_last_connection() -> None:
    one = await presence_client("1")
    assert one.presence == {"ids": ["1"], "hash": {"1": {"n": "1"}}, "count": 1}  # type: ignore[attr-defined]
    two = await presence_client("2")
    assert two.presence["count"] == 2  # type: ignore[attr-defined]
    added = await one.recv()
    assert added == {
        "event": "pusher_internal:member_added",
        "channel": "presence-room",
        "data": {"user_id": "2", "user_info": {"n": "2"}},
    }
    two_again = await presence_client("2")
    assert await one.nothing()
    await two.comm.disconnect()
    assert await one.nothing()
    await two_again.send("pusher:unsubscribe", {"channel": "presence-room"})
    removed = await one.recv()
    assert removed["event"] == "pusher_internal:member_removed"
    assert removed["data"] == {"user_id": "2"}
    await one.comm.disconnect()
    await two_again.comm.disconnect()


async def test_client_event_rules_and_rate_limit() -> None:
    sender, receiver = Client(), Client()
    for client in (sender, receiver):
        await client.open()
        await client.subscribe("news")
        auth = channel_auth(KEY, SECRET, client.socket_id, "private-chat")
        await client.subscribe("private-chat", auth=auth)

    await sender.send("client-hi", {"x": 1}, channel="news")
    error = await sender.recv()
    assert error["data"]["code"] == 4009
    assert "private and presence" in error["data"]["message"]
    await sender.send("client-hi", {"x": 1}, channel="private-other")
    assert "Not subscribed" in (await sender.recv())["data"]["message"]

    for n in range(3):
        await sender.send("client-hi", {"n": n}, channel="private-chat")
    for n in range(3):
        got = await receiver.recv()
        assert got == {"event": "client-hi", "channel": "private-chat", "data": {"n": n}}
    await sender.send("client-hi", {"n": 3}, channel="private-chat")
    limited = await sender.recv()
    assert limited["data"]["code"] == 4301
    assert await receiver.nothing()
    await asyncio.sleep(0.5)  # the bucket refills at 3/s
    await sender.send("client-hi", {"n": 4}, channel="private-chat")
    assert (await receiver.recv())["data"] == {"n": 4}
    assert await sender.nothing()  # never echoed to the sender
    await sender.comm.disconnect()
    await receiver.comm.disconnect()


async def test_client_events_can_be_disabled_per_app() -> None:
    client = Client("small-key")
    await client.open()
    await client.send("client-x", {}, channel="private-a")
    error = await client.recv()
    assert error["data"]["code"] == 4301
    await client.comm.disconnect()


async def test_signin_to_users_and_terminate() -> None:
    client, other = Client(), Client()
    await client.open()
    await other.open()
    user_data = json.dumps({"id": "42", "user_info": {"name": "x"}})
    signature = user_auth(KEY, SECRET, client.socket_id, user_data)
    await client.send("pusher:signin", {"user_data": user_data, "auth": signature})
    success = await client.recv()
    assert success["event"] == "pusher:signin_success"
    await other.send("pusher:signin", {"user_data": user_data, "auth": "bad"})
    assert (await other.recv())["data"]["code"] == 4009

    await abroadcast("notice", {"t": "for 42"}, app="77").to_users(["42"])
    got = await client.recv()
    assert got == {"event": "notice", "channel": "#server-to-user-42", "data": {"t": "for 42"}}
    assert await other.nothing()

    from forge_suite.realtime.hub import publish

    await publish({"app": "77", "kind": "terminate", "user_id": "42"})
    assert (await client.recv())["data"]["code"] == 4009
    assert await client.closed() == 4009
    await other.comm.disconnect()


async def test_metrics_are_recorded() -> None:
    from forge_suite.observability import metrics

    if metrics.WS_CONNECTIONS is None:
        pytest.fail("prometheus_client is part of the test dependencies")

    def value(metric: Any, **labels: str) -> float:
        return float(metric.labels(**labels)._value.get())

    before_in = value(metrics.WS_MESSAGES, app="77", direction="in")
    before_out = value(metrics.WS_MESSAGES, app="77", direction="out")
    before_subs = value(metrics.WS_SUBSCRIPTIONS, app="77", channel_type="public")
    open_before = value(metrics.WS_CONNECTIONS, app="77")
    client = Client()
    await client.open()
    assert value(metrics.WS_CONNECTIONS, app="77") == open_before + 1
    await client.subscribe("stats")
    await abroadcast("e", {}).to_channel("stats")
    await client.recv()
    assert value(metrics.WS_SUBSCRIPTIONS, app="77", channel_type="public") == before_subs + 1
    assert value(metrics.WS_MESSAGES, app="77", direction="in") == before_in + 1
    assert value(metrics.WS_MESSAGES, app="77", direction="out") == before_out + 1
    await client.comm.disconnect()
    await asyncio.sleep(0.05)
    assert value(metrics.WS_CONNECTIONS, app="77") == open_before


async def test_channels_per_connection_are_limited(settings: Any) -> None:
    settings.FORGE = {
        "REALTIME": {"APPS": [{**APP, "max_channels_per_connection": 2}]},
    }
    client = Client()
    await client.open()
    for name in ("a", "b"):
        assert (await client.subscribe(name))["event"] == "pusher_internal:subscription_succeeded"
    refused = await client.subscribe("c")
    assert refused["event"] == "pusher:subscription_error"
    assert refused["data"]["status"] == 403
    assert "At most 2 channels" in refused["data"]["error"]
    await client.send("pusher:unsubscribe", {"channel": "a"})
    assert (await client.subscribe("a"))["event"] == "pusher:error"  # 4009 of the refusal
    assert (await client.recv())["event"] == "pusher_internal:subscription_succeeded"
    await client.comm.disconnect()


async def test_a_socket_never_hops_to_a_thread_for_the_database(monkeypatch: Any) -> None:
    # Channels closes stale database connections in a worker thread before every frame and
    # on every close; the Pusher consumer never uses the database, and in a reconnect storm
    # those hops were a quarter of the server's CPU.
    import channels.consumer
    import channels.generic.websocket

    hops: list[str] = []

    async def counted() -> None:
        hops.append("close_old_connections")

    monkeypatch.setattr(channels.consumer, "aclose_old_connections", counted)
    monkeypatch.setattr(channels.generic.websocket, "aclose_old_connections", counted)
    client = Client()
    await client.open()
    await client.subscribe("news")
    await client.send("pusher:ping", {})
    assert (await client.recv())["event"] == "pusher:pong"
    await client.close()
    await asyncio.sleep(0.05)
    assert hops == []


@pytest.mark.parametrize(
    ("configured", "before", "after"),
    [
        ({}, (700, 10, 10), (700, 10, 1000)),
        ({"GC_FULL_COLLECTION_THRESHOLD": 250}, (700, 10, 10), (700, 10, 250)),
        ({"GC_FULL_COLLECTION_THRESHOLD": None}, (700, 10, 10), (700, 10, 10)),
        ({}, (2000, 10, 10), (2000, 10, 10)),  # the process's own thresholds win
    ],
)
async def test_serving_sockets_makes_full_garbage_collections_rarer(
    realtime_settings: Any,
    configured: dict[str, Any],
    before: tuple[int, int, int],
    after: tuple[int, int, int],
) -> None:
    import gc

    forge = realtime_settings.FORGE
    realtime_settings.FORGE = {**forge, "REALTIME": {**forge["REALTIME"], **configured}}
    saved = gc.get_threshold()
    gc.set_threshold(*before)
    try:
        client = Client()
        await client.open()
        assert gc.get_threshold() == after
        await client.close()
    finally:
        gc.set_threshold(*saved)


async def test_member_removed_does_not_wait_for_the_subscription_count() -> None:
    # A socket's leave updates the channel's count and its presence in two batches; in a storm
    # of closes member_removed used to go out only after the count's round trip.
    from forge_suite.realtime.hub import get_hub

    one = await presence_client("1")
    two = await presence_client("2")
    assert (await one.recv())["event"] == "pusher_internal:member_added"
    state = (await get_hub()).state
    counts_written = asyncio.Event()
    real_sync_counts = state.sync_counts

    async def stalled_sync_counts(changes: Any) -> Any:
        await counts_written.wait()
        return await real_sync_counts(changes)

    state.sync_counts = stalled_sync_counts  # type: ignore[method-assign]
    try:
        await two.comm.disconnect()
        removed = await one.recv()
        assert removed["event"] == "pusher_internal:member_removed"
        assert removed["data"] == {"user_id": "2"}
    finally:
        counts_written.set()
        state.sync_counts = real_sync_counts  # type: ignore[method-assign]
    await one.comm.disconnect()
