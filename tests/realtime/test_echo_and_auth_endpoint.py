"""laravel-echo in Node, and pusher-js authorizing through /broadcasting/auth with OAuth2."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.db import connection
from django.utils import timezone

from tests.realtime.harness import APP

pytestmark = [pytest.mark.slow]

SIGN = {"key": APP["key"], "secret": APP["secret"]}


def test_laravel_echo_presence_whisper_and_listen(start_server: Any, node: Any) -> None:
    server = start_server()
    options = {"key": APP["key"], "wsHost": "127.0.0.1", "wsPort": server.port}
    node.send(
        cmd="echo_connect",
        id="ann",
        options=options,
        sign={**SIGN, "user_id": "1", "user_info": {"name": "Ann"}},
    )
    node.wait_for(lambda r: r["type"] == "connected" and r["id"] == "ann")
    node.send(cmd="echo_join", id="ann", channel="room.5")
    here = node.wait_for(lambda r: r["type"] == "here" and r["id"] == "ann")
    assert here["users"] == [{"name": "Ann"}]

    node.send(
        cmd="echo_connect",
        id="ben",
        options=options,
        sign={**SIGN, "user_id": "2", "user_info": {"name": "Ben"}},
    )
    node.wait_for(lambda r: r["type"] == "connected" and r["id"] == "ben")
    node.send(cmd="echo_join", id="ben", channel="room.5")
    here = node.wait_for(lambda r: r["type"] == "here" and r["id"] == "ben")
    assert sorted(u["name"] for u in here["users"]) == ["Ann", "Ben"]
    joining = node.wait_for(lambda r: r["type"] == "joining" and r["id"] == "ann")
    assert joining["user"] == {"name": "Ben"}

    node.send(cmd="echo_whisper", id="ben", channel="room.5", event="typing", data={"name": "Ben"})
    whisper = node.wait_for(lambda r: r["type"] == "whisper" and r["id"] == "ann")
    assert whisper["data"] == {"name": "Ben"}

    import pusher

    pusher.Pusher(
        app_id=APP["id"],
        key=APP["key"],
        secret=APP["secret"],
        host="127.0.0.1",
        port=server.port,
        ssl=False,
    ).trigger("presence-room.5", "message", {"t": 1})
    assert node.wait_for(lambda r: r["type"] == "echo_event" and r["id"] == "ben")["data"] == {
        "t": 1
    }

    node.send(cmd="echo_leave", id="ben", channel="room.5")
    leaving = node.wait_for(lambda r: r["type"] == "leaving" and r["id"] == "ann")
    assert leaving["user"] == {"name": "Ben"}


@pytest.mark.redis
@pytest.mark.django_db(transaction=True)
def test_pusher_js_authorizes_with_bearer_token_and_signs_in(
    redis_servers: Any, redis_layer_settings: Any, node: Any
) -> None:
    from django.contrib.auth import get_user_model
    from oauth2_provider.models import AccessToken

    owner = get_user_model().objects.create_user("owner-7", password="x")
    AccessToken.objects.create(
        user=owner,
        token="token-owner-7",
        scope="realtime:auth",
        expires=timezone.now() + timedelta(hours=1),
    )
    stranger = get_user_model().objects.create_user("stranger", password="x")
    AccessToken.objects.create(
        user=stranger,
        token="token-stranger",
        scope="realtime:auth",
        expires=timezone.now() + timedelta(hours=1),
    )
    server = redis_servers(FORGE_RT_DB_NAME=str(connection.settings_dict["NAME"]))

    def connect(client: str, token: str) -> None:
        headers = {"Authorization": f"Bearer {token}"}
        options = {
            "channelAuthorization": {
                "endpoint": f"{server.url}/broadcasting/auth",
                "headers": headers,
            },
            "userAuthentication": {
                "endpoint": f"{server.url}/broadcasting/user-auth",
                "headers": headers,
            },
        }
        node.connect(client, server, options=options)

    connect("owner", "token-owner-7")
    connect("stranger", "token-stranger")
    node.send(cmd="subscribe", id="owner", channel="private-orders.7")
    node.send(cmd="subscribe", id="owner", channel="presence-room.3")
    node.event("owner", "pusher:subscription_succeeded", "private-orders.7")
    presence = node.event("owner", "pusher:subscription_succeeded", "presence-room.3")
    assert presence["data"]["me"] == {"id": str(owner.pk), "info": {"name": "owner-7"}}

    node.send(cmd="subscribe", id="stranger", channel="private-orders.7")
    error = node.event("stranger", "pusher:subscription_error", "private-orders.7")
    assert error["data"]["status"] == 403

    # pusher:signin through /broadcasting/user-auth, then a broadcast to that user only.
    node.send(cmd="signin", id="owner")
    node.send(cmd="signin", id="stranger")
    for client, user in (("owner", owner), ("stranger", stranger)):
        signed = node.wait_for(lambda r, c=client: r["type"] == "signed_in" and r["id"] == c)
        assert signed["user"] == {"id": str(user.pk), "user_info": {"name": user.username}}
    from forge_suite.realtime import broadcast

    broadcast("export.ready", {"file": "orders.csv"}).to_users([owner.pk])
    got = node.wait_for(lambda r: r["type"] == "user_event" and r["event"] == "export.ready")
    assert (got["id"], got["data"]) == ("owner", {"file": "orders.csv"})
    node.settle(0.4)
    assert not [r for r in node.reports if r.get("type") == "user_event" and r["id"] == "stranger"]
    assert not [r for r in node.reports if r.get("type") == "error"], "no protocol errors"

    # The official library ends every connection of a signed-in user.
    import pusher

    pusher.Pusher(
        app_id=APP["id"],
        key=APP["key"],
        secret=APP["secret"],
        host="127.0.0.1",
        port=server.port,
        ssl=False,
    ).terminate_user_connections(str(owner.pk))
    error = node.wait_for(lambda r: r["type"] == "error" and r["id"] == "owner")
    assert error["error"]["code"] == 4009
    node.wait_for(
        lambda r: (
            r["type"] == "state"
            and r["id"] == "owner"
            and r["state"] in ("failed", "disconnected", "unavailable")
        )
    )
    assert not [r for r in node.reports if r.get("type") == "error" and r["id"] == "stranger"]
