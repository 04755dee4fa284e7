"""pusher_internal:subscription_count, opt-in per app, counted over every server process."""

from __future__ import annotations

from typing import Any

import pytest

from tests.realtime.harness import APP

pytestmark = [pytest.mark.redis, pytest.mark.slow]

SIGN = {"key": APP["key"], "secret": APP["secret"]}


def counts(node: Any, client: str, channel: str) -> list[int]:
    return [
        e["data"]["subscription_count"]
        for e in node.events(client, "pusher:subscription_count", channel)
    ]


def test_pusher_js_sees_the_cluster_wide_count(redis_servers: Any, node: Any) -> None:
    config = {"APPS": [{**APP, "subscription_count": True}]}
    a, b = redis_servers(config), redis_servers(config)
    node.connect("one", a)
    node.send(cmd="subscribe", id="one", channel="counted")
    node.wait_for(lambda r: r.get("id") == "one" and r.get("event") == "pusher:subscription_count")
    node.connect("two", b, sign={**SIGN, "user_id": "2"})
    node.send(cmd="subscribe", id="two", channel="counted")
    node.send(cmd="subscribe", id="two", channel="presence-room.1")
    node.event("two", "pusher:subscription_succeeded", "presence-room.1")
    node.wait_for(lambda r: 2 in counts(node, "one", "counted"), timeout=10)
    node.send(cmd="unsubscribe", id="two", channel="counted")
    node.wait_for(lambda r: counts(node, "one", "counted")[-1:] == [1], timeout=10)
    assert counts(node, "one", "counted") == [1, 2, 1]
    assert node.events("two", "pusher:subscription_count", "presence-room.1") == []


def test_no_counts_unless_the_app_enables_them(redis_servers: Any, node: Any) -> None:
    server = redis_servers()
    node.connect("one", server)
    node.send(cmd="subscribe", id="one", channel="counted")
    node.event("one", "pusher:subscription_succeeded", "counted")
    node.connect("two", server)
    node.send(cmd="subscribe", id="two", channel="counted")
    node.event("two", "pusher:subscription_succeeded", "counted")
    node.settle(0.5)
    assert node.events("one", "pusher:subscription_count") == []
