"""The real pusher-js client (npm) in Node.js against a daphne server process."""

from __future__ import annotations

from typing import Any

import pytest

from forge_suite.realtime import broadcast
from tests.realtime.harness import APP

pytestmark = [pytest.mark.redis, pytest.mark.slow]

SIGN = {"key": APP["key"], "secret": APP["secret"]}


def test_public_private_presence_broadcasts_and_client_events(
    redis_servers: Any, redis_layer_settings: Any, node: Any
) -> None:
    server = redis_servers()
    node.connect("alice", server, sign={**SIGN, "user_id": "1", "user_info": {"name": "Alice"}})
    node.connect("bob", server, sign={**SIGN, "user_id": "2", "user_info": {"name": "Bob"}})

    for client in ("alice", "bob"):
        node.send(cmd="subscribe", id=client, channel="news")
        node.send(cmd="subscribe", id=client, channel="private-orders.7")
        node.event(client, "pusher:subscription_succeeded", "news")
        node.event(client, "pusher:subscription_succeeded", "private-orders.7")

    node.send(cmd="subscribe", id="alice", channel="presence-room.1")
    here = node.event("alice", "pusher:subscription_succeeded", "presence-room.1")
    assert here["data"]["count"] == 1
    assert here["data"]["me"] == {"id": "1", "info": {"name": "Alice"}}

    node.send(cmd="subscribe", id="bob", channel="presence-room.1")
    bob_here = node.event("bob", "pusher:subscription_succeeded", "presence-room.1")
    assert bob_here["data"]["members"] == {"1": {"name": "Alice"}, "2": {"name": "Bob"}}
    added = node.event("alice", "pusher:member_added", "presence-room.1")
    assert added["data"] == {"id": "2", "info": {"name": "Bob"}}

    # Broadcasts from Python reach every kind of channel.
    broadcast("post.published", {"id": 5}).to_channel("news")
    broadcast("order.shipped", {"order": 7}).to_channel("private-orders.7")
    broadcast("message", {"text": "hi"}).to_channel("presence-room.1")
    for client in ("alice", "bob"):
        assert node.event(client, "post.published", "news")["data"] == {"id": 5}
        assert node.event(client, "order.shipped", "private-orders.7")["data"] == {"order": 7}
        assert node.event(client, "message", "presence-room.1")["data"] == {"text": "hi"}

    # A client event reaches the other client, with user_id on presence, never the sender.
    node.send(
        cmd="trigger",
        id="alice",
        channel="presence-room.1",
        event="client-typing",
        data={"typing": True},
    )
    typing = node.event("bob", "client-typing", "presence-room.1")
    assert typing["data"] == {"typing": True}
    node.send(
        cmd="trigger", id="bob", channel="private-orders.7", event="client-note", data={"n": 1}
    )
    assert node.event("alice", "client-note", "private-orders.7")["data"] == {"n": 1}
    node.settle(0.5)
    assert node.events("alice", "client-typing") == []
    assert node.events("bob", "client-note") == []

    # Bob leaves: Alice sees member_removed.
    node.send(cmd="disconnect", id="bob")
    removed = node.event("alice", "pusher:member_removed", "presence-room.1")
    assert removed["data"]["id"] == "2"


def test_wrong_signature_is_refused(redis_servers: Any, node: Any) -> None:
    server = redis_servers()
    node.connect("mallory", server, sign={**SIGN, "bad": True, "user_id": "6"})
    node.send(cmd="subscribe", id="mallory", channel="private-orders.7")
    node.send(cmd="subscribe", id="mallory", channel="presence-room.1")
    error = node.event("mallory", "pusher:subscription_error", "private-orders.7")
    assert error["data"]["status"] == 401
    node.event("mallory", "pusher:subscription_error", "presence-room.1")
    node.settle(0.3)
    assert node.events("mallory", "pusher:subscription_succeeded") == []
