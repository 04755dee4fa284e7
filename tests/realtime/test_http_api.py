"""Pusher's HTTP API: the official ``pusher`` server library triggers events on our server."""

from __future__ import annotations

from typing import Any

import pusher
import pytest

from tests.realtime.harness import APP

pytestmark = [pytest.mark.slow]

SIGN = {"key": APP["key"], "secret": APP["secret"]}


def client_for(server: Any, secret: str = APP["secret"]) -> pusher.Pusher:
    return pusher.Pusher(
        app_id=APP["id"],
        key=APP["key"],
        secret=secret,
        host="127.0.0.1",
        port=server.port,
        ssl=False,
    )


def test_official_library_triggers_event_received_by_pusher_js(
    start_server: Any, node: Any
) -> None:
    server = start_server()
    node.connect("web", server, sign={**SIGN, "user_id": "9", "user_info": {"name": "Nine"}})
    node.send(cmd="subscribe", id="web", channel="updates")
    node.send(cmd="subscribe", id="web", channel="presence-room.2")
    node.event("web", "pusher:subscription_succeeded", "updates")
    node.event("web", "pusher:subscription_succeeded", "presence-room.2")

    api = client_for(server)
    api.trigger(["updates", "presence-room.2"], "price.changed", {"sku": "A1", "price": 10})
    assert node.event("web", "price.changed", "updates")["data"] == {"sku": "A1", "price": 10}
    assert node.event("web", "price.changed", "presence-room.2")["data"]["sku"] == "A1"

    api.trigger_batch(
        [
            {"channel": "updates", "name": "batch.one", "data": {"n": 1}},
            {"channel": "updates", "name": "batch.two", "data": {"n": 2}},
        ]
    )
    assert node.event("web", "batch.two", "updates")["data"] == {"n": 2}

    info = api.channel_info("updates", ["subscription_count"])
    assert info == {"occupied": True, "subscription_count": 1}
    assert api.channel_info("nobody-here") == {"occupied": False}
    listing = api.channels_info(prefix_filter="presence-", attributes=["user_count"])
    assert listing["channels"] == {"presence-room.2": {"user_count": 1}}
    assert api.users_info("presence-room.2") == {"users": [{"id": "9"}]}


def test_socket_id_excludes_the_sender(start_server: Any, node: Any) -> None:
    server = start_server()
    sender = node.connect("sender", server)
    node.connect("other", server)
    for client in ("sender", "other"):
        node.send(cmd="subscribe", id=client, channel="feed")
        node.event(client, "pusher:subscription_succeeded", "feed")
    client_for(server).trigger("feed", "posted", {"x": 1}, socket_id=sender)
    node.event("other", "posted", "feed")
    node.settle(0.4)
    assert node.events("sender", "posted") == []


def signed_post(
    server: Any, path: str, body: dict[str, Any], overrides: dict[str, str] | None = None
) -> tuple[int, dict[str, Any]]:
    """POST like a server library would (the signing is checked by the tests above).

    ``overrides`` replace query parameters before signing, so the signature stays valid.
    """
    import hashlib
    import json
    import time
    import urllib.error
    import urllib.request
    from urllib.parse import urlencode

    from forge_suite.realtime.signing import http_signature

    raw = json.dumps(body).encode()
    params = {
        "auth_key": APP["key"],
        "auth_timestamp": str(int(time.time())),
        "auth_version": "1.0",
        "body_md5": hashlib.md5(raw, usedforsecurity=False).hexdigest(),
        **(overrides or {}),
    }
    params["auth_signature"] = http_signature(APP["secret"], "POST", path, params)
    request = urllib.request.Request(
        f"{server.url}{path}?{urlencode(params)}",
        data=raw,
        method="POST",
        headers={"Content-Type": "application/json"},
    )
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read())


def test_bad_signature_and_bad_body_are_rejected(shared_server: Any) -> None:
    server = shared_server
    with pytest.raises(pusher.errors.PusherBadAuth):
        client_for(server, secret="wrong").trigger("feed", "x", {})
    path = f"/apps/{APP['id']}/events"
    status, body = signed_post(server, path, {"name": "x", "data": "{}", "channels": ["a b"]})
    assert status == 400
    assert "may only contain" in body["error"]
    status, body = signed_post(server, path, {"name": "x", "data": "y" * 20000, "channel": "a"})
    assert (status, body["error"]) == (400, "data is larger than 10240 bytes.")
    status, body = signed_post(server, path, {"data": "{}", "channel": "a"})
    assert status == 400
    assert "name" in body["error"]
    status, body = signed_post(server, "/apps/nope/events", {"name": "x", "channel": "a"})
    assert status == 404


def test_a_non_ascii_signature_is_a_401_not_a_500(shared_server: Any) -> None:
    import time
    import urllib.error
    import urllib.request
    from urllib.parse import urlencode

    server = shared_server
    params = {
        "auth_key": APP["key"],
        "auth_timestamp": str(int(time.time())),
        "auth_version": "1.0",
        "auth_signature": "\u00e9" * 64,
    }
    url = f"{server.url}/apps/{APP['id']}/channels?{urlencode(params)}"
    with pytest.raises(urllib.error.HTTPError) as info:
        urllib.request.urlopen(url, timeout=10)
    assert info.value.code == 401


def test_official_library_send_to_user_is_accepted(shared_server: Any) -> None:
    """pusher's send_to_user() posts to '#server-to-user-<id>'; that name must be accepted."""
    server = shared_server
    response = client_for(server).send_to_user("42", "notice", {"text": "hi"})
    assert response == {}
    path = f"/apps/{APP['id']}/events"
    status, _ = signed_post(
        server, path, {"name": "x", "data": "{}", "channels": ["#server-to-user-4 2"]}
    )
    assert status == 400  # a space is still not a valid user id


@pytest.mark.parametrize("tamper", ["body_md5", "auth_timestamp"])
def test_a_wrong_body_md5_or_a_stale_timestamp_is_refused(shared_server: Any, tamper: str) -> None:
    """Both signed correctly: only the body hash or the time window is wrong."""
    import hashlib
    import time

    server = shared_server
    overrides = (
        {"body_md5": hashlib.md5(b"something else", usedforsecurity=False).hexdigest()}
        if tamper == "body_md5"
        else {"auth_timestamp": str(int(time.time()) - 4000)}
    )
    body = {"name": "x", "data": "{}", "channels": ["feed"]}
    status, answer = signed_post(server, f"/apps/{APP['id']}/events", body, overrides)
    assert status == 401
    assert tamper in answer["error"]
