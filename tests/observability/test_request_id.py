"""Request-id correlation through the middleware, the logs and the response."""

from __future__ import annotations

import io
import json

import pytest
from django.test import Client, override_settings

from forge_suite.observability import bind_request_id, get_request_id, valid_request_id
from tests.observability.conftest import forge

pytestmark = pytest.mark.usefixtures("obs_settings")


def lines(stream: io.StringIO) -> list[dict[str, object]]:
    return [json.loads(line) for line in stream.getvalue().splitlines() if line.strip()]


def test_a_valid_incoming_id_is_kept_logged_and_returned(json_log: io.StringIO) -> None:
    response = Client().get("/t/hello", HTTP_X_REQUEST_ID="abc123")
    assert response.status_code == 200
    assert response["X-Request-ID"] == "abc123"
    assert response.json() == {"request_id": "abc123"}
    records = lines(json_log)
    view = [r for r in records if r["event"] == "view says hi"]
    assert view
    assert view[0]["request_id"] == "abc123"
    assert view[0]["logger"] == "tests.observability.view"
    assert view[0]["level"] == "info"
    access = [r for r in records if r["event"] == "request finished"]
    assert access[0]["request_id"] == "abc123"
    assert access[0]["method"] == "GET"
    assert access[0]["path"] == "/t/hello"
    assert access[0]["status"] == 200
    assert isinstance(access[0]["duration_ms"], float)
    assert "user_id" not in access[0]  # anonymous request, user never loaded


@pytest.mark.parametrize(
    "bad",
    [
        "abc 123",
        "abc123\r\nX-Evil: 1",
        "abc123\n",
        "<script>",
        "a" * 129,
        "id;drop",
        '"quoted"',
    ],
)
def test_an_invalid_incoming_id_is_replaced_not_echoed(bad: str, json_log: io.StringIO) -> None:
    response = Client().get("/t/hello", HTTP_X_REQUEST_ID=bad)
    returned = response["X-Request-ID"]
    assert returned != bad
    assert bad not in json_log.getvalue()
    assert valid_request_id(returned)
    assert len(returned) == 32
    assert response.json() == {"request_id": returned}


def test_a_missing_id_is_generated_and_each_request_gets_its_own() -> None:
    first = Client().get("/t/hello")["X-Request-ID"]
    second = Client().get("/t/hello")["X-Request-ID"]
    assert valid_request_id(first)
    assert first != second
    assert get_request_id() is None  # nothing leaks out of the request


def test_untrusted_mode_ignores_even_a_valid_incoming_id() -> None:
    with override_settings(FORGE=forge(TRUST_REQUEST_ID=False)):
        response = Client().get("/t/hello", HTTP_X_REQUEST_ID="abc123")
    assert response["X-Request-ID"] != "abc123"


def test_the_header_name_and_maximum_length_are_configurable() -> None:
    options = forge(REQUEST_ID_HEADER="X-Correlation-ID", REQUEST_ID_MAX_LENGTH=4)
    with override_settings(FORGE=options):
        kept = Client().get("/t/hello", HTTP_X_CORRELATION_ID="abcd")
        replaced = Client().get("/t/hello", HTTP_X_CORRELATION_ID="abcde")
    assert kept["X-Correlation-ID"] == "abcd"
    assert replaced["X-Correlation-ID"] != "abcde"


def test_async_views_see_the_id(json_log: io.StringIO) -> None:
    response = Client().get("/t/ahello", HTTP_X_REQUEST_ID="async-1")
    assert response.json() == {"request_id": "async-1"}
    view = [r for r in lines(json_log) if r["event"] == "async view says hi"]
    assert view[0]["request_id"] == "async-1"


async def test_the_middleware_works_in_an_async_stack() -> None:
    from django.test import AsyncClient

    response = await AsyncClient().get("/t/ahello", headers={"X-Request-ID": "asgi-1"})
    assert response["X-Request-ID"] == "asgi-1"
    assert response.json() == {"request_id": "asgi-1"}


@pytest.mark.django_db
def test_the_access_log_names_a_logged_in_user(json_log: io.StringIO) -> None:
    from django.contrib.auth import get_user_model

    user = get_user_model().objects.create_superuser("ops", "ops@example.com", "pw-123456")
    client = Client()
    client.force_login(user)
    response = client.get("/admin/", HTTP_X_REQUEST_ID="admin-1")
    assert response.status_code == 200
    access = [r for r in lines(json_log) if r["event"] == "request finished"]
    assert access[-1]["user_id"] == user.pk
    assert access[-1]["request_id"] == "admin-1"


def test_bind_request_id_sets_and_restores() -> None:
    assert get_request_id() is None
    with bind_request_id("outer"):
        with bind_request_id("inner"):
            assert get_request_id() == "inner"
        assert get_request_id() == "outer"
    assert get_request_id() is None
