"""Webhooks to a local HTTP receiver, validated by the official ``pusher`` library."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pusher
import pytest

from tests.realtime.harness import APP

# The servers run deliveries as scheduling jobs, whose history needs the test database.
pytestmark = [pytest.mark.redis, pytest.mark.slow, pytest.mark.django_db(transaction=True)]


def db_env() -> dict[str, str]:
    from django.db import connection

    return {"FORGE_RT_DB_NAME": str(connection.settings_dict["NAME"])}


SIGN = {"key": APP["key"], "secret": APP["secret"]}


class Receiver:
    """A webhook endpoint on loopback recording every request (answers 200)."""

    def __init__(self) -> None:
        self.requests: list[tuple[dict[str, str], bytes]] = []
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["Content-Length"]))
                receiver.requests.append((dict(self.headers), body))
                self.send_response(200)
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                return None

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}/pusher/webhook"

    def events(self) -> list[dict[str, Any]]:
        official = pusher.Pusher(app_id=APP["id"], key=APP["key"], secret=APP["secret"])
        found = []
        for headers, body in self.requests:
            valid = official.validate_webhook(
                headers["X-Pusher-Key"], headers["X-Pusher-Signature"], body.decode()
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

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    found = Receiver()
    yield found
    found.close()


def named(events: list[dict[str, Any]], name: str) -> list[dict[str, Any]]:
    return [e for e in events if e["name"] == name]


def test_webhooks_fire_once_for_the_cluster_and_validate(
    redis_servers: Any, node: Any, receiver: Receiver
) -> None:
    config = {"APPS": [{**APP, "webhooks": [receiver.url]}]}
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
        return {"news", "presence-room.1", "private-chat.1", "cache-empty"} <= vacated

    events = receiver.wait_for(complete, timeout=15)
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
    assert all(len(json.loads(body)["events"]) <= 20 for _, body in receiver.requests)


def test_event_types_filter_and_a_forged_signature_is_refused(
    start_server: Any, node: Any, receiver: Receiver
) -> None:
    config = {
        "APPS": [{**APP, "webhooks": [{"url": receiver.url, "event_types": ["channel_vacated"]}]}]
    }
    server = start_server(config, **db_env())
    node.connect("one", server)
    node.send(cmd="subscribe", id="one", channel="news")
    node.event("one", "pusher:subscription_succeeded", "news")
    node.send(cmd="unsubscribe", id="one", channel="news")
    events = receiver.wait_for(lambda e: named(e, "channel_vacated"))
    assert [e["name"] for e in events] == ["channel_vacated"]
    headers, body = receiver.requests[0]
    official = pusher.Pusher(app_id=APP["id"], key=APP["key"], secret=APP["secret"])
    assert official.validate_webhook(headers["X-Pusher-Key"], "0" * 64, body.decode()) is None
