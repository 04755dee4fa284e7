"""Webhooks to a local HTTP receiver, validated by the official ``pusher`` library."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Iterator
from typing import Any

import pusher
import pytest

from tests.realtime.harness import APP
from tests.support.http_sink import HttpSink
from tests.support.pusher_storm import close_all, storm

# The servers run deliveries as scheduling jobs, whose history needs the test database.
pytestmark = [pytest.mark.redis, pytest.mark.slow, pytest.mark.django_db(transaction=True)]


def db_env() -> dict[str, str]:
    from django.db import connection

    return {"FORGE_RT_DB_NAME": str(connection.settings_dict["NAME"])}


SIGN = {"key": APP["key"], "secret": APP["secret"]}


class Receiver(HttpSink):
    """The shared HTTP sink, reading what arrives as Pusher webhooks."""

    @property
    def hook_url(self) -> str:
        return f"{self.url}/pusher/webhook"

    def events(self) -> list[dict[str, Any]]:
        official = pusher.Pusher(app_id=APP["id"], key=APP["key"], secret=APP["secret"])
        found = []
        for request in list(self.requests):
            valid = official.validate_webhook(
                request.headers["x-pusher-key"],
                request.headers["x-pusher-signature"],
                request.body.decode(),
            )
            assert valid is not None, "the official library refused a webhook"
            found.extend(valid["events"])
        return found

    def wait_for(self, predicate: Any, timeout: float = 10) -> list[dict[str, Any]]:
        deadline = time.monotonic() + timeout
        while True:
            events = self.events()
            if predicate(events) or time.monotonic() > deadline:
                return events
            time.sleep(0.1)


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    with Receiver() as found:
        yield found


def named(events: list[dict[str, Any]], name: str) -> list[dict[str, Any]]:
    return [e for e in events if e["name"] == name]


def test_webhooks_fire_once_for_the_cluster_and_validate(
    redis_servers: Any, node: Any, receiver: Receiver
) -> None:
    config = {"APPS": [{**APP, "webhooks": [receiver.hook_url]}]}
    a, b = redis_servers(config, **db_env()), redis_servers(config, **db_env())
    for client, server, user in (("on_a", a, "1"), ("on_b", b, "2")):
        node.connect(client, server, sign={**SIGN, "user_id": user})
        for channel in ("news", "presence-room.1", "private-chat.1"):
            node.send(cmd="subscribe", id=client, channel=channel)
            node.event(client, "pusher:subscription_succeeded", channel)
    node.send(cmd="subscribe", id="on_a", channel="cache-empty")
    node.event("on_a", "pusher:cache_miss", "cache-empty")
    node.send(cmd="trigger", id="on_b", channel="presence-room.1", event="client-typing", data={})
    node.event("on_a", "client-typing", "presence-room.1")
    for client in ("on_a", "on_b"):
        node.send(cmd="disconnect", id=client)

    def complete(events: list[dict[str, Any]]) -> bool:
        vacated = {e["channel"] for e in named(events, "channel_vacated")}
        gone = {e["user_id"] for e in named(events, "member_removed")}
        return {"news", "presence-room.1", "private-chat.1", "cache-empty"} <= vacated and (
            gone == {"1", "2"}
        )

    events = receiver.wait_for(complete, timeout=30)
    occupied = sorted(e["channel"] for e in named(events, "channel_occupied"))
    vacated = sorted(e["channel"] for e in named(events, "channel_vacated"))
    channels = ["cache-empty", "news", "presence-room.1", "private-chat.1"]
    assert occupied == channels  # once per channel, though both processes had subscribers
    assert vacated == channels
    added = sorted(e["user_id"] for e in named(events, "member_added"))
    removed = sorted(e["user_id"] for e in named(events, "member_removed"))
    assert (added, removed) == (["1", "2"], ["1", "2"])
    assert named(events, "cache_miss") == [{"name": "cache_miss", "channel": "cache-empty"}]
    (client_event,) = named(events, "client_event")
    assert client_event["channel"] == "presence-room.1"
    assert client_event["event"] == "client-typing"
    assert client_event["user_id"] == "2"
    assert json.loads(client_event["data"]) == {}
    # Batched: fewer requests than events, each body at most 20 events.
    assert len(receiver.requests) < len(events)
    assert all(len(request.json()["events"]) <= 20 for request in receiver.requests)


def test_event_types_filter_and_a_forged_signature_is_refused(
    start_server: Any, node: Any, receiver: Receiver
) -> None:
    config = {
        "APPS": [
            {**APP, "webhooks": [{"url": receiver.hook_url, "event_types": ["channel_vacated"]}]}
        ]
    }
    server = start_server(config, **db_env())
    node.connect("one", server)
    node.send(cmd="subscribe", id="one", channel="news")
    node.event("one", "pusher:subscription_succeeded", "news")
    node.send(cmd="unsubscribe", id="one", channel="news")
    events = receiver.wait_for(lambda e: named(e, "channel_vacated"))
    assert [e["name"] for e in events] == ["channel_vacated"]
    first = receiver.requests[0]
    official = pusher.Pusher(app_id=APP["id"], key=APP["key"], secret=APP["secret"])
    forged = official.validate_webhook(first.headers["x-pusher-key"], "0" * 64, first.body.decode())
    assert forged is None


def test_a_quick_reconnect_to_another_process_sends_no_leave_and_no_join(
    redis_servers: Any, receiver: Receiver
) -> None:
    """As on Pusher: vacated and member_removed wait; a join meanwhile cancels both."""
    delay = 1.5
    config = {"APPS": [{**APP, "webhooks": [receiver.hook_url]}], "WEBHOOK_LEAVE_DELAY": delay}
    a, b = redis_servers(config, **db_env()), redis_servers(config, **db_env())

    def channel_of(i: int) -> str:
        return "presence-room.1" if i == 0 else "news"

    def count(events: list[dict[str, Any]], name: str) -> int:
        return len(named(events, name))

    async def connect(port: int) -> Any:
        result = await storm(port, APP["key"], APP["secret"], 2, channel_of, user_prefix="u")
        assert result.failures == []
        return result.clients

    async def scenario() -> float:
        first = await connect(a.port)
        receiver.wait_for(lambda e: count(e, "channel_occupied") == 2 and count(e, "member_added"))
        await close_all(first)  # a page reload: the same user back at once, on the other process
        again = await connect(b.port)
        await asyncio.sleep(2 * delay + 1)
        events = receiver.events()
        assert count(events, "channel_vacated") == 0, events
        assert count(events, "member_removed") == 0, events
        assert count(events, "channel_occupied") == 2, events
        assert count(events, "member_added") == 1, events
        await close_all(again)  # gone for good: the leaves arrive after the delay
        return time.monotonic()

    closed = asyncio.run(scenario())
    events = receiver.wait_for(
        lambda e: count(e, "channel_vacated") == 2 and count(e, "member_removed") == 1, timeout=20
    )
    assert time.monotonic() - closed >= delay
    assert sorted(e["channel"] for e in named(events, "channel_vacated")) == [
        "news",
        "presence-room.1",
    ]
    assert named(events, "member_removed") == [
        {"name": "member_removed", "channel": "presence-room.1", "user_id": "u0"}
    ]
