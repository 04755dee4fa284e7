"""``/broadcasting/auth`` and ``/broadcasting/user-auth`` for session users (with CSRF)."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.test import Client

from forge_suite.realtime.signing import channel_auth, user_auth

pytestmark = pytest.mark.django_db

APP = {"id": "5", "key": "auth-key", "secret": "auth-secret"}


@pytest.fixture(autouse=True)
def realtime_settings(settings: Any) -> Any:
    settings.FORGE = {
        "REALTIME": {"APPS": [APP], "CHANNEL_MODULES": ["tests.realtime.channel_routes"]}
    }
    import tests.realtime.channel_routes  # noqa: F401  the routes register on import

    return settings


@pytest.fixture
def owner(django_user_model: Any) -> Any:
    return django_user_model.objects.create_user("owner-7", password="pw")


def csrf_client(user: Any) -> tuple[Client, str]:
    client = Client(enforce_csrf_checks=True)
    client.force_login(user)
    client.get("/")  # any page; then take the token from the cookie
    from django.middleware.csrf import _get_new_csrf_string

    token = _get_new_csrf_string()
    client.cookies["csrftoken"] = token
    return client, token


def test_private_channel_signed_for_allowed_session_user(owner: Any) -> None:
    client, token = csrf_client(owner)
    response = client.post(
        "/broadcasting/auth",
        {"socket_id": "12.34", "channel_name": "private-orders.7"},
        HTTP_X_CSRFTOKEN=token,
    )
    assert response.status_code == 200, response.content
    expected = channel_auth(APP["key"], APP["secret"], "12.34", "private-orders.7")
    assert response.json() == {"auth": expected}


def test_session_request_without_csrf_token_is_refused(owner: Any) -> None:
    client, _ = csrf_client(owner)
    response = client.post(
        "/broadcasting/auth", {"socket_id": "12.34", "channel_name": "private-orders.7"}
    )
    assert response.status_code == 403


def test_presence_channel_returns_channel_data(owner: Any) -> None:
    client, token = csrf_client(owner)
    response = client.post(
        "/broadcasting/auth",
        {"socket_id": "1.2", "channel_name": "presence-room.4"},
        HTTP_X_CSRFTOKEN=token,
    )
    body = response.json()
    assert json.loads(body["channel_data"]) == {
        "user_id": str(owner.pk),
        "user_info": {"name": "owner-7"},
    }
    assert body["auth"] == channel_auth(
        APP["key"], APP["secret"], "1.2", "presence-room.4", body["channel_data"]
    )


@pytest.mark.parametrize(
    ("data", "status", "message"),
    [
        ({"socket_id": "1.2", "channel_name": "private-orders.8"}, 403, "Not allowed"),
        ({"socket_id": "1.2", "channel_name": "presence-room.closed"}, 403, "Not allowed"),
        ({"socket_id": "1.2", "channel_name": "private-nothing.here"}, 403, "Not allowed"),
        ({"socket_id": "1.2", "channel_name": "news"}, 400, "not a private or presence"),
        ({"socket_id": "abc", "channel_name": "private-orders.7"}, 400, "two integers"),
        ({"socket_id": "1.2", "channel_name": "private bad"}, 400, "may only contain"),
        ({"socket_id": "1.2"}, 400, "required"),
    ],
)
def test_refusals_say_why(owner: Any, data: dict[str, str], status: int, message: str) -> None:
    client, token = csrf_client(owner)
    response = client.post("/broadcasting/auth", data, HTTP_X_CSRFTOKEN=token)
    assert response.status_code == status
    assert message in response.json()["error"]


def test_anonymous_and_bad_bearer_are_refused() -> None:
    client = Client()
    data = {"socket_id": "1.2", "channel_name": "private-orders.7"}
    assert client.post("/broadcasting/auth", data).status_code == 403
    response = client.post("/broadcasting/auth", data, HTTP_AUTHORIZATION="Bearer nope")
    assert response.status_code == 401
    assert "bearer token" in response.json()["error"]


def test_user_authentication_for_signin(owner: Any) -> None:
    client, token = csrf_client(owner)
    response = client.post("/broadcasting/user-auth", {"socket_id": "3.4"}, HTTP_X_CSRFTOKEN=token)
    body = response.json()
    assert json.loads(body["user_data"])["id"] == str(owner.pk)
    assert body["auth"] == user_auth(APP["key"], APP["secret"], "3.4", body["user_data"])


@pytest.mark.parametrize("socket_id", ["abc", "1.2.3", "1.", "x:y"])
def test_user_authentication_refuses_a_malformed_socket_id(owner: Any, socket_id: str) -> None:
    client, token = csrf_client(owner)
    response = client.post(
        "/broadcasting/user-auth", {"socket_id": socket_id}, HTTP_X_CSRFTOKEN=token
    )
    assert response.status_code == 400
    assert "two integers joined by a dot" in response.json()["error"]


def test_laravel_echo_csrf_header_is_accepted(owner: Any) -> None:
    """Echo's ``csrfToken`` option sends X-CSRF-TOKEN, not Django's X-CSRFToken."""
    client, token = csrf_client(owner)
    data = {"socket_id": "12.34", "channel_name": "private-orders.7"}
    assert client.post("/broadcasting/auth", data, HTTP_X_CSRF_TOKEN=token).status_code == 200
    refused = client.post("/broadcasting/auth", data, HTTP_X_CSRF_TOKEN="x" * 32)
    assert refused.status_code == 403
    user = client.post("/broadcasting/user-auth", {"socket_id": "12.34"}, HTTP_X_CSRF_TOKEN=token)
    assert user.status_code == 200


def test_encrypted_channel_gets_its_shared_secret(owner: Any, settings: Any) -> None:
    import base64

    from forge_suite.realtime.signing import shared_secret

    master_key = base64.b64encode(b"k" * 32).decode()
    settings.FORGE = {
        "REALTIME": {
            "APPS": [{**APP, "encryption_master_key": master_key}],
            "CHANNEL_MODULES": ["tests.realtime.channel_routes"],
        }
    }
    client, token = csrf_client(owner)
    channel = "private-encrypted-orders.7"
    response = client.post(
        "/broadcasting/auth",
        {"socket_id": "12.34", "channel_name": channel},
        HTTP_X_CSRFTOKEN=token,
    )
    assert response.status_code == 200, response.content
    assert response.json() == {
        "auth": channel_auth(APP["key"], APP["secret"], "12.34", channel),
        "shared_secret": shared_secret(channel, master_key),
    }


def test_encrypted_channel_without_a_master_key_is_a_clear_400(owner: Any) -> None:
    client, token = csrf_client(owner)
    response = client.post(
        "/broadcasting/auth",
        {"socket_id": "12.34", "channel_name": "private-encrypted-orders.7"},
        HTTP_X_CSRFTOKEN=token,
    )
    assert response.status_code == 400
    assert "encryption_master_key" in response.json()["error"]


@pytest.mark.needs_apps("forge_suite.api")
def test_a_bearer_token_needs_the_realtime_auth_scope(owner: Any, settings: Any) -> None:
    from tests.support.oauth import bearer

    client = Client()
    data = {"socket_id": "1.2", "channel_name": "private-orders.7"}
    refused = client.post("/broadcasting/auth", data, headers=bearer("jobs:read", owner))
    assert refused.status_code == 403
    assert "realtime:auth" in refused.json()["error"]
    allowed = client.post("/broadcasting/auth", data, headers=bearer("realtime:auth", owner))
    assert allowed.status_code == 200, allowed.content
    signin = client.post(
        "/broadcasting/user-auth", {"socket_id": "1.2"}, headers=bearer("x", owner)
    )
    assert signin.status_code == 403
    # A project's own scope names replace the default.
    settings.FORGE = {"REALTIME": {**settings.FORGE["REALTIME"], "BEARER_SCOPES": ["chat"]}}
    assert client.post("/broadcasting/auth", data, headers=bearer("chat", owner)).status_code == 200
    refused = client.post("/broadcasting/auth", data, headers=bearer("realtime:auth", owner))
    assert refused.status_code == 403
