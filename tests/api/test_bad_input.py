"""Bad input through the API: unknown fields (also in nested objects), wrong types, malformed
JSON, bodies over Django's limits: a 4xx that names the problem, never a 500 or an HTML page."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client, override_settings

from tests.support.oauth import bearer

pytestmark = [
    pytest.mark.needs_apps("forge_suite.api", "forge_suite.eventstore", "forge_suite.mailer"),
    pytest.mark.django_db,
]

WELCOME = "tests.mailer.mailables.Welcome"


@pytest.fixture
def root() -> Any:
    from django.contrib.auth import get_user_model

    return get_user_model().objects.create_superuser("root", password="pw-12345678")


@override_settings(FORGE={"API": {"MAILABLES": [WELCOME]}})
@pytest.mark.parametrize(
    ("url", "scope", "body", "field"),
    [
        (
            "/api/v1/realtime/events/",
            "realtime:trigger",
            {"name": "x", "channels": ["news"], "chanels": ["typo"]},
            "chanels",
        ),
        (
            "/api/v1/events/streams/order-1/",
            "events:write",
            {"expected_versoin": 3, "events": [{"type": "X", "data": {}}]},
            "expected_versoin",
        ),
        (
            "/api/v1/events/streams/order-1/",
            "events:write",
            {"events": [{"type": "X", "data": {}, "meta": {}}]},
            "events",  # the nested event names its unknown key
        ),
        (
            "/api/v1/mail/messages/",
            "mail:send",
            {"mailable": WELCOME, "to": ["a@example.com"], "bcc": ["b@example.com"]},
            "bcc",
        ),
    ],
)
def test_an_unknown_field_is_a_400_naming_it(
    root: Any, url: str, scope: str, body: dict[str, Any], field: str
) -> None:
    response = Client().post(
        url, body, content_type="application/json", headers=bearer(scope, root)
    )
    assert response.status_code == 400, response.content
    assert field in response.json(), response.json()
    if field == "events":
        assert "meta" in str(response.json()["events"])


def test_wrong_types_and_malformed_json_are_a_400(root: Any) -> None:
    client = Client()
    headers = bearer("events:write realtime:trigger", root)
    stream = "/api/v1/events/streams/order-2/"
    for body, field in (
        ({"events": "not a list"}, "events"),
        ({"events": [{"type": {"a": 1}, "data": {}}]}, "events"),
        ({"events": [{"type": "X", "data": {}}], "expected_version": [1]}, "expected_version"),
    ):
        response = client.post(stream, body, content_type="application/json", headers=headers)
        assert response.status_code == 400, (body, response.content)
        assert field in response.json(), response.json()
    for raw in (b"{not json", b"[1, 2]", b'"text"'):
        response = client.post(
            "/api/v1/realtime/events/", raw, content_type="application/json", headers=headers
        )
        assert response.status_code == 400, (raw, response.content)
        assert response["Content-Type"] == "application/json"


def test_a_body_over_djangos_limits_is_a_413_or_400_with_a_message(
    root: Any, settings: Any
) -> None:
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1_000
    settings.DATA_UPLOAD_MAX_NUMBER_FIELDS = 10
    client = Client()
    headers = bearer("realtime:trigger realtime:auth", root)
    big = {"name": "x", "channels": ["news"], "data": {"blob": "x" * 5_000}}
    response = client.post(
        "/api/v1/realtime/events/", big, content_type="application/json", headers=headers
    )
    assert response.status_code == 413, response.content
    assert "1,000 bytes" in response.json()["detail"]
    form = {f"f{i}": "1" for i in range(20)}
    response = client.post("/api/v1/realtime/auth/", form, headers=headers)
    assert response.status_code == 400, response.content
    assert "10 form fields" in response.json()["detail"]
