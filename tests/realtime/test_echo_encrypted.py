"""laravel-echo in Node: encrypted channels through /broadcasting/auth with Echo's csrfToken."""

from __future__ import annotations

import base64
from typing import Any

import pusher
import pytest
from django.db import connection

from tests.realtime.harness import APP

pytestmark = [pytest.mark.slow]

MASTER_KEY = base64.b64encode(b"0123456789abcdef0123456789abcdef").decode()


@pytest.mark.django_db(transaction=True)
def test_echo_decrypts_an_event_of_the_official_library_after_csrf_token_auth(
    start_server: Any, node: Any
) -> None:
    from django.contrib.auth import get_user_model
    from django.middleware.csrf import _get_new_csrf_string
    from django.test import Client

    owner = get_user_model().objects.create_user("owner-7", password="x")
    browser = Client()
    browser.force_login(owner)
    session = browser.cookies["sessionid"].value
    csrf = _get_new_csrf_string()
    server = start_server(
        {"APPS": [{**APP, "encryption_master_key": MASTER_KEY}]},
        FORGE_RT_DB_NAME=str(connection.settings_dict["NAME"]),
    )
    # Echo's documented configuration: the session cookie (a browser sends it) and csrfToken.
    options = {
        "key": APP["key"],
        "wsHost": "127.0.0.1",
        "wsPort": server.port,
        "authEndpoint": f"{server.url}/broadcasting/auth",
        "csrfToken": csrf,
        "auth": {"headers": {"Cookie": f"sessionid={session}; csrftoken={csrf}"}},
    }
    node.send(cmd="echo_connect", id="owner", options=options)
    node.wait_for(lambda r: r["type"] == "connected" and r["id"] == "owner")
    node.send(cmd="echo_encrypted", id="owner", channel="orders.7", listen=".shipped")
    node.wait_for(lambda r: r["type"] in ("subscribed", "subscription_error"))
    assert not [r for r in node.reports if r["type"] == "subscription_error"], node.reports

    official = pusher.Pusher(
        app_id=APP["id"],
        key=APP["key"],
        secret=APP["secret"],
        host="127.0.0.1",
        port=server.port,
        ssl=False,
        encryption_master_key_base64=MASTER_KEY,
    )
    official.trigger("private-encrypted-orders.7", "shipped", {"order": 7, "carrier": "DHL"})
    got = node.wait_for(lambda r: r["type"] == "echo_event" and r["id"] == "owner")
    assert got["data"] == {"order": 7, "carrier": "DHL"}
