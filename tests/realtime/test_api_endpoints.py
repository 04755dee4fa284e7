"""The realtime endpoints of the API: pusher-js authorizes a private channel with an OAuth2
bearer token through ``/api/v1/realtime/auth/``, a machine token triggers an event through
``/api/v1/realtime/events/`` that the subscriber receives, and reads what Pusher's HTTP API
tells about channels through ``/api/v1/realtime/channels/``."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
import requests
from django.db import connection

from tests.realtime.harness import APP
from tests.support.oauth import issue_token
from tests.support.pusher_storm import close_all, storm

pytestmark = [
    pytest.mark.slow,
    pytest.mark.redis,
    pytest.mark.needs_apps("forge_suite.api"),
    pytest.mark.django_db(transaction=True),
]


def test_pusher_js_authorizes_through_the_api_and_receives_an_api_triggered_event(
    redis_servers: Any, redis_layer_settings: Any, node: Any
) -> None:
    from django.contrib.auth import get_user_model

    owner = get_user_model().objects.create_user("owner-7", password="x")
    allowed = issue_token("realtime:auth", owner)
    wrong_scope = issue_token("jobs:read", owner)
    trigger = issue_token("realtime:trigger")
    server = redis_servers(FORGE_RT_DB_NAME=str(connection.settings_dict["NAME"]))

    def connect(client: str, bearer: str) -> None:
        options = {
            "channelAuthorization": {
                "endpoint": f"{server.url}/api/v1/realtime/auth/",
                "headers": {"Authorization": f"Bearer {bearer}"},
            }
        }
        node.connect(client, server, options=options)

    connect("owner", allowed)
    connect("nosy", wrong_scope)
    node.send(cmd="subscribe", id="owner", channel="private-orders.7")
    node.event("owner", "pusher:subscription_succeeded", "private-orders.7")
    node.send(cmd="subscribe", id="nosy", channel="private-orders.7")
    error = node.event("nosy", "pusher:subscription_error", "private-orders.7")
    assert error["data"]["status"] == 403  # the token lacks realtime:auth

    headers = {"Authorization": f"Bearer {trigger}"}
    sent = requests.post(
        f"{server.url}/api/v1/realtime/events/",
        json={"name": "order.shipped", "channels": ["private-orders.7"], "data": {"id": 7}},
        headers=headers,
        timeout=10,
    )
    assert sent.status_code == 202, sent.content
    got = node.event("owner", "order.shipped", "private-orders.7")
    assert got["data"] == {"id": 7}

    # A machine token (no user) cannot sign subscriptions; bad input names the field.
    machine_auth = requests.post(
        f"{server.url}/api/v1/realtime/auth/",
        data={"socket_id": "1.2", "channel_name": "private-orders.7"},
        headers={"Authorization": f"Bearer {issue_token('realtime:auth')}"},
        timeout=10,
    )
    assert machine_auth.status_code == 403
    for body, field in (
        ({"name": "x", "channels": []}, "channels"),
        ({"name": "x", "channels": ["bad channel!"]}, "channels"),
        ({"name": "x", "channels": ["news"], "data": {"blob": "x" * 11_000}}, "data"),
        ({"channels": ["news"]}, "name"),
        ({"name": ["not", "text"], "channels": ["news"]}, "name"),
    ):
        refused = requests.post(
            f"{server.url}/api/v1/realtime/events/", json=body, headers=headers, timeout=10
        )
        assert refused.status_code == 400, (body, refused.content)
        assert field in refused.json(), refused.json()


@pytest.mark.parametrize("shared", ["memory", "redis"])
def test_channel_information_through_the_api(shared: str, request: Any) -> None:
    """With the in-memory state the ASGI server's own hub answers; with Redis every process."""
    env = {"FORGE_RT_DB_NAME": str(connection.settings_dict["NAME"])}
    if shared == "redis":
        server = request.getfixturevalue("redis_servers")(**env)
    else:
        server = request.getfixturevalue("start_server")(**env)
    reader = {"Authorization": f"Bearer {issue_token('realtime:trigger')}"}

    def get(path: str, headers: dict[str, str] | None = None, **params: str) -> Any:
        url = f"{server.url}/api/v1/realtime/{path}"
        return requests.get(
            url, params=params, headers=reader if headers is None else headers, timeout=10
        )

    async def scenario() -> None:
        news = await storm(server.port, APP["key"], APP["secret"], 3, lambda i: "news")
        room = await storm(
            server.port, APP["key"], APP["secret"], 2, lambda i: "presence-room.1", user_prefix="u"
        )
        assert news.failures == []
        assert room.failures == []
        try:
            listed = await asyncio.to_thread(get, "channels/")
            assert listed.status_code == 200, listed.content
            assert listed.json() == {"channels": {"news": {}, "presence-room.1": {}}}
            presence = await asyncio.to_thread(
                get, "channels/", filter_by_prefix="presence-", info="user_count"
            )
            assert presence.json() == {"channels": {"presence-room.1": {"user_count": 2}}}
            one = await asyncio.to_thread(get, "channels/news/", info="subscription_count")
            assert one.json() == {"occupied": True, "subscription_count": 3}
            empty = await asyncio.to_thread(get, "channels/quiet/")
            assert empty.json() == {"occupied": False}
            users = await asyncio.to_thread(get, "channels/presence-room.1/users/")
            assert sorted(u["id"] for u in users.json()["users"]) == ["u0", "u1"]
        finally:
            await close_all(news.clients + room.clients)

    asyncio.run(scenario())

    for path, params, field in (
        ("channels/", {"info": "subscription_count"}, "info"),  # not for the list
        ("channels/", {"info": "user_count"}, "info"),  # needs the presence- prefix
        ("channels/news/", {"info": "user_count"}, "info"),  # not a presence channel
        ("channels/news/users/", {}, "channel"),
        ("channels/bad channel!/", {}, "channel"),
    ):
        refused = get(path, None, **params)
        assert refused.status_code == 400, (path, refused.content)
        assert field in refused.json(), refused.json()
    assert get("channels/", app="nope").status_code == 404
    assert get("channels/", headers={}).status_code == 401
    wrong = {"Authorization": f"Bearer {issue_token('realtime:auth')}"}
    assert get("channels/", headers=wrong).status_code == 403
