"""Signatures, settings checks, channel routes, the client-event limiter and broadcast input."""

from __future__ import annotations

import asyncio
import json
import time
from typing import Any

import pytest
from django.core.checks import Error, Warning

from forge_suite.core.checks import check_forge_setting
from forge_suite.realtime import BroadcastEvent, broadcast, channel
from forge_suite.realtime.checks import check_realtime
from forge_suite.realtime.exceptions import InvalidChannelName, InvalidEvent, UnknownApp
from forge_suite.realtime.registry import channel_type, get_app, validate_channel_name
from forge_suite.realtime.routes import authorize_sync, clear_routes, find_route
from forge_suite.realtime.signing import channel_auth, http_signature, verify_channel_auth
from forge_suite.realtime.throttle import ClientEventLimiter, TokenBucket, parse_rate


def test_protocol_test_vector() -> None:
    auth = channel_auth(
        "278d425bdf160c739803", "7ad3773142a6692b25b8", "1234.1234", "private-foobar"
    )
    assert auth == (
        "278d425bdf160c739803:58df8b0c36d6982b82c3ecf6b4662e34fe8c25bba48f5369f135bf843651c3a4"
    )
    assert verify_channel_auth(
        "278d425bdf160c739803", "7ad3773142a6692b25b8", "1234.1234", "private-foobar", auth
    )
    assert not verify_channel_auth(
        "278d425bdf160c739803", "7ad3773142a6692b25b8", "1234.1235", "private-foobar", auth
    )
    assert not verify_channel_auth("k", "s", "1.1", "private-x", None)


def test_http_signature_matches_the_official_library() -> None:
    from pusher.signature import sign

    params = {
        "auth_key": "k",
        "auth_timestamp": "1353088179",
        "auth_version": "1.0",
        "body_md5": "ec365a775a4cd0599faeb73354201b6f",
    }
    to_sign = "POST\n/apps/3/events\n" + "&".join(f"{k}={params[k]}" for k in sorted(params))
    assert http_signature("secret", "POST", "/apps/3/events", params) == sign("secret", to_sign)


@pytest.mark.parametrize(
    ("name", "kind"),
    [
        ("news", "public"),
        ("private-a", "private"),
        ("presence-a", "presence"),
        ("#server-to-user-1", "user"),
    ],
)
def test_channel_types(name: str, kind: str) -> None:
    assert channel_type(name) == kind


def test_channel_name_validation() -> None:
    assert validate_channel_name("a-Z_0=@,.;") == "a-Z_0=@,.;"
    for bad in ("", "has space", "x" * 165, 5):
        with pytest.raises(InvalidChannelName):
            validate_channel_name(bad)


def test_settings_problems_are_reported_with_the_key(settings: Any) -> None:
    settings.FORGE = {"REALTIME": {"APPS": [{"id": "1", "key": "k"}]}}
    errors = [m for m in check_forge_setting() if isinstance(m, Error)]
    assert any("APPS" in m.msg and "'secret'" in m.msg for m in errors), errors
    settings.FORGE = {"REALTIME": {"APPS": [{"id": "1", "key": "k", "secret": "s", "colour": 1}]}}
    assert any("colour" in m.msg for m in check_forge_setting())
    settings.FORGE = {
        "REALTIME": {"APPS": [{"id": "1", "key": "k", "secret": "s", "client_event_rate": "lots"}]}
    }
    assert any("'10/s'" in m.msg for m in check_forge_setting())
    settings.FORGE = {
        "REALTIME": {
            "APPS": [
                {"id": "1", "key": "k", "secret": "s"},
                {"id": "1", "key": "k2", "secret": "s"},
            ]
        }
    }
    assert any("repeats the id" in m.msg for m in check_forge_setting())
    settings.FORGE = {"REALTIME": {"ACTIVITY_TIMEOUT": 0}}
    assert any("ACTIVITY_TIMEOUT" in m.msg for m in check_forge_setting())


def test_realtime_checks(settings: Any) -> None:
    settings.DEBUG = True
    settings.FORGE = {"REALTIME": {"CHANNEL_LAYER": "missing"}}
    assert [m.id for m in check_realtime()] == ["forge_realtime.E001"]
    settings.FORGE = {}
    settings.DEBUG = False
    warnings = [m for m in check_realtime() if isinstance(m, Warning)]
    assert [m.id for m in warnings] == ["forge_realtime.W001"]
    settings.FORGE = {"REALTIME": {"APPS": [{"id": "1", "key": "k", "secret": "mine"}]}}
    assert check_realtime() == []


def test_unknown_app_is_a_lookup_error(settings: Any) -> None:
    with pytest.raises(UnknownApp, match="'nope'"):
        get_app(id="nope")
    assert issubclass(UnknownApp, LookupError)


def test_channel_routes_match_placeholders() -> None:
    from forge_suite.realtime import routes

    saved = list(routes._ROUTES)
    clear_routes()

    @channel("orders.{order_id}")
    def orders(user: Any, order_id: str) -> bool:
        return order_id == "5"

    @channel("chat.{room}.{lang}")
    def chat(user: Any, room: str, lang: str) -> dict[str, str]:
        return {"room": room, "lang": lang}

    found = find_route("private-orders.5")
    assert found is not None
    assert found[1] == {"order_id": "5"}
    assert authorize_sync(None, "private-orders.5") is True
    assert authorize_sync(None, "private-orders.6") is False
    assert authorize_sync(None, "presence-chat.1.en") == {"room": "1", "lang": "en"}
    assert find_route("private-orders.5.extra") is None
    assert authorize_sync(None, "private-unknown") is False
    clear_routes()
    routes._ROUTES.extend(saved)


def test_parse_rate() -> None:
    assert parse_rate("10/s") == (10, 1.0)
    assert parse_rate("600/m") == (600, 60.0)
    assert parse_rate("5/10s") == (5, 10.0)
    for bad in ("ten", "0/s", "10/sec", None):
        with pytest.raises(ValueError, match="client_event_rate"):
            parse_rate(bad)


def test_token_bucket_refills() -> None:
    bucket = TokenBucket(2, 0.2)
    assert [bucket.allow() for _ in range(3)] == [True, True, False]
    time.sleep(0.12)
    assert bucket.allow() is True


async def test_limiter_falls_back_to_builtin_bucket_without_throttling(settings: Any) -> None:
    settings.INSTALLED_APPS = [a for a in settings.INSTALLED_APPS if a != "forge_suite.throttling"]
    limiter = ClientEventLimiter("1", "1.1", "2/s")
    assert limiter.backend == "builtin"
    assert [await limiter.allow() for _ in range(3)] == [True, True, False]


async def test_limiter_uses_the_throttling_app_when_installed() -> None:
    """Client events go through forge_suite.throttling's token bucket (cache store here)."""
    from prometheus_client import REGISTRY

    from forge_suite.core.metrics import NullMetrics, metrics

    limiter = ClientEventLimiter("1", "9.9", "3/s")
    assert limiter.backend == "throttling"
    labels = {"policy": "forge_realtime.client_events.1", "outcome": "limited"}
    before = REGISTRY.get_sample_value("forge_throttle_decisions_total", labels) or 0.0
    assert [await limiter.allow() for _ in range(4)] == [True, True, True, False]
    assert not isinstance(metrics(), NullMetrics)
    after = REGISTRY.get_sample_value("forge_throttle_decisions_total", labels) or 0.0
    assert after == before + 1
    # Another connection has its own bucket.
    assert await ClientEventLimiter("1", "9.10", "3/s").allow() is True


@pytest.mark.redis
async def test_limiter_on_the_throttling_redis_store(redis_url: str, settings: Any) -> None:
    import uuid

    settings.FORGE = {
        "REDIS_URL": redis_url,
        "THROTTLING": {"STORE": "redis", "KEY_PREFIX": f"forge-test:{uuid.uuid4().hex}:"},
    }
    limiter = ClientEventLimiter("1", "7.7", "2/s")
    assert limiter.backend == "throttling"
    assert [await limiter.allow() for _ in range(3)] == [True, True, False]


def test_broadcast_input_errors() -> None:
    with pytest.raises(InvalidEvent, match="non-empty"):
        broadcast("")
    with pytest.raises(InvalidEvent, match="JSON"):
        broadcast("x", {"a": object()}.keys())
    with pytest.raises(InvalidChannelName):
        broadcast("x", {}).to_channel("bad name")
    with pytest.raises(InvalidEvent, match="no channel"):
        broadcast("x", {}).to_channel()
    with pytest.raises(InvalidEvent, match="At most 100"):
        broadcast("x", {}).to_channel(*[f"c{i}" for i in range(101)])
    with pytest.raises(UnknownApp):
        broadcast("x", {}, app="nope")


class OrderShipped(BroadcastEvent):
    def __init__(self, order_id: int) -> None:
        self.order_id = order_id

    def broadcast_on(self) -> list[str]:
        return [f"private-orders.{self.order_id}"]

    def broadcast_as(self) -> str:
        return "order.shipped"


def test_event_classes_describe_name_channels_and_payload() -> None:
    pending = broadcast(OrderShipped(3))
    assert pending.name == "order.shipped"
    assert pending.channels == ["private-orders.3"]
    assert json.loads(pending.data) == {"order_id": 3}
    message = pending._message(pending.channels)
    frame = json.loads(message["items"][0][1])
    assert frame == {
        "event": "order.shipped",
        "channel": "private-orders.3",
        "data": '{"order_id":3}',
    }


async def test_a_failing_socket_does_not_stop_delivery_to_the_others() -> None:
    from forge_suite.realtime.hub import Hub

    class FakeConnection:
        def __init__(self, socket_id: str, broken: bool = False) -> None:
            self.socket_id = socket_id
            self.broken = broken
            self.closing = False
            self.frames: list[str] = []

        async def send_frame(self, frame: str) -> None:
            if self.broken:
                raise RuntimeError("socket closed")
            self.frames.append(frame)

    hub = Hub()
    first, broken, last = FakeConnection("1.1"), FakeConnection("2.2", True), FakeConnection("3.3")
    hub.channels[("1000", "news")].update([first, broken, last])
    sent = await hub.deliver({"app": "1000", "items": [["news", "frame"]], "except": None})
    assert sent == 2
    assert first.frames == last.frames == ["frame"]


async def test_a_client_that_stops_reading_is_dropped_not_waited_for(settings: Any) -> None:
    from forge_suite.realtime.hub import Hub

    settings.FORGE = {"REALTIME": {"SEND_TIMEOUT": 0.2}}

    class Connection:
        def __init__(self, socket_id: str, stuck: bool = False) -> None:
            self.socket_id = socket_id
            self.stuck = stuck
            self.closing = False
            self.frames: list[str] = []
            self.closed_with: int | None = None

        async def send_frame(self, frame: str) -> None:
            if self.stuck:
                await asyncio.sleep(3600)  # like a send waiting for a full buffer to drain
            self.frames.append(frame)

        async def close(self, code: int) -> None:
            self.closed_with = code

    hub = Hub()
    stuck, fine = Connection("1.1", stuck=True), Connection("2.2")
    hub.channels[("1000", "news")].update([stuck, fine])

    async def watchdog() -> None:  # what the hub's activity loop does
        while True:
            await asyncio.sleep(0.05)
            hub.check_send_stall()

    watcher = asyncio.create_task(watchdog())
    started = time.monotonic()
    assert await hub.deliver({"app": "1000", "items": [["news", "a"]], "except": None}) == 1
    assert time.monotonic() - started < 2
    watcher.cancel()
    await asyncio.sleep(0)
    assert (stuck.closing, stuck.closed_with) == (True, 4100)
    # Later broadcasts skip it at once.
    assert await hub.deliver({"app": "1000", "items": [["news", "b"]], "except": None}) == 1
    assert fine.frames == ["a", "b"]
