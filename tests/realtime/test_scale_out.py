"""Two server processes sharing channels-redis (pub/sub layer) and Redis presence."""

from __future__ import annotations

from typing import Any

import pusher
import pytest

from forge_suite.realtime import broadcast
from tests.realtime.harness import APP

pytestmark = [pytest.mark.redis, pytest.mark.slow]

SIGN = {"key": APP["key"], "secret": APP["secret"]}


def api(server: Any) -> pusher.Pusher:
    return pusher.Pusher(
        app_id=APP["id"],
        key=APP["key"],
        secret=APP["secret"],
        host="127.0.0.1",
        port=server.port,
        ssl=False,
    )


def member(user_id: str, name: str) -> dict[str, Any]:
    return {**SIGN, "user_id": user_id, "user_info": {"name": name}}


def test_broadcast_on_one_process_reaches_client_on_the_other(
    redis_servers: Any, redis_layer_settings: Any, node: Any
) -> None:
    a, b = redis_servers(), redis_servers()
    node.connect("on_a", a)
    node.connect("on_b", b)
    for client in ("on_a", "on_b"):
        node.send(cmd="subscribe", id=client, channel="news")
        node.event(client, "pusher:subscription_succeeded", "news")

    api(b).trigger("news", "from.b", {"via": "http api of b"})
    assert node.event("on_a", "from.b", "news")["data"] == {"via": "http api of b"}
    assert node.event("on_b", "from.b", "news")["data"] == {"via": "http api of b"}

    broadcast("from.python", {"n": 1}).to_channel("news")
    node.event("on_a", "from.python", "news")
    node.event("on_b", "from.python", "news")
    node.settle(0.3)
    # One delivery per socket, not one per process.
    assert len(node.events("on_a", "from.b")) == 1
    assert len(node.events("on_a", "from.python")) == 1

    # Subscription counts are summed over both processes.
    assert api(a).channel_info("news", ["subscription_count"])["subscription_count"] == 2


def test_presence_is_shared_and_fires_on_first_and_last_connection(
    redis_servers: Any, node: Any
) -> None:
    a, b = redis_servers(), redis_servers()
    node.connect("alice", a, sign=member("1", "Alice"))
    node.send(cmd="subscribe", id="alice", channel="presence-room.1")
    node.event("alice", "pusher:subscription_succeeded", "presence-room.1")

    node.connect("bob_b", b, sign=member("2", "Bob"))
    node.send(cmd="subscribe", id="bob_b", channel="presence-room.1")
    bob_view = node.event("bob_b", "pusher:subscription_succeeded", "presence-room.1")
    assert bob_view["data"]["members"] == {"1": {"name": "Alice"}, "2": {"name": "Bob"}}
    assert node.event("alice", "pusher:member_added", "presence-room.1")["data"]["id"] == "2"
    assert api(a).users_info("presence-room.1") == api(b).users_info("presence-room.1")
    assert sorted(u["id"] for u in api(a).users_info("presence-room.1")["users"]) == ["1", "2"]

    # Bob's second connection (on A) is not a new member ...
    node.connect("bob_a", a, sign=member("2", "Bob"))
    node.send(cmd="subscribe", id="bob_a", channel="presence-room.1")
    node.event("bob_a", "pusher:subscription_succeeded", "presence-room.1")
    # ... and closing one of two connections does not remove him.
    node.send(cmd="disconnect", id="bob_b")
    node.settle(0.6)
    assert len(node.events("alice", "pusher:member_added")) == 1
    assert node.events("alice", "pusher:member_removed") == []
    node.send(cmd="disconnect", id="bob_a")
    assert node.event("alice", "pusher:member_removed", "presence-room.1")["data"]["id"] == "2"
    assert api(b).users_info("presence-room.1") == {"users": [{"id": "1"}]}


def test_members_of_a_crashed_process_expire(redis_servers: Any, node: Any) -> None:
    fast = {"PRESENCE_TTL": 1.5}
    a, b = redis_servers(fast), redis_servers(fast)
    node.connect("alice", a, sign=member("1", "Alice"))
    node.send(cmd="subscribe", id="alice", channel="presence-room.9")
    node.event("alice", "pusher:subscription_succeeded", "presence-room.9")
    node.connect("carol", b, sign=member("3", "Carol"))
    node.send(cmd="subscribe", id="carol", channel="presence-room.9")
    node.event("alice", "pusher:member_added", "presence-room.9")

    b.kill()  # no disconnect handling runs on b
    removed = node.event("alice", "pusher:member_removed", "presence-room.9", timeout=10)
    assert removed["data"]["id"] == "3"
    assert api(a).users_info("presence-room.9") == {"users": [{"id": "1"}]}
