"""The realtime endpoints of the API: pusher-js authorizes a private channel with an OAuth2
bearer token through ``/api/v1/realtime/auth/``, and a machine token triggers an event through
``/api/v1/realtime/events/`` that the subscriber receives."""

from __future__ import annotations

from typing import Any

import pytest
import requests
from django.db import connection

from tests.support.oauth import issue_token

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
