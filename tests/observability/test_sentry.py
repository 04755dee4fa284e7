"""Sentry: real sentry-sdk transport posting to a loopback stand-in for the DSN host."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import sentry_sdk
from django.test import Client, override_settings

from forge_suite.observability import sentry
from tests.observability.conftest import SentryStandIn, forge

pytestmark = pytest.mark.usefixtures("obs_settings")


@pytest.fixture
def sentry_host() -> Iterator[SentryStandIn]:
    server = SentryStandIn()
    yield server
    server.close()


@pytest.fixture
def sentry_on(sentry_host: SentryStandIn) -> Iterator[SentryStandIn]:
    """sentry-sdk is process-global: initialise it for one test, then close and unset it."""
    options = forge(SENTRY_RELEASE="forge@1.2.3")
    with override_settings(FORGE=options):
        assert sentry.init(dsn=sentry_host.dsn, default_integrations=False) is True
    try:
        yield sentry_host
    finally:
        client = sentry_sdk.get_client()
        client.flush(timeout=5)
        client.close(timeout=5)
        sentry_sdk.get_global_scope().set_client(None)
        assert not sentry_sdk.get_client().is_active()


def test_a_view_exception_reaches_sentry_tagged_and_scrubbed(sentry_on: SentryStandIn) -> None:
    client = Client(raise_request_exception=False)
    response = client.post(
        "/t/boom",
        {"username": "alice", "password": "hunter2-Secret!", "email": "alice@example.com"},
        HTTP_X_REQUEST_ID="abc123",
        HTTP_AUTHORIZATION="Bearer very-secret-token",
    )
    assert response.status_code == 500
    sentry_sdk.flush(timeout=5)
    event = sentry_on.wait_for_event()

    assert sentry_on.paths[-1].startswith("/api/42/envelope/")
    assert event["tags"]["request_id"] == "abc123"
    assert event["exception"]["values"][-1]["type"] == "RuntimeError"
    assert event["environment"] == "production"
    assert event["release"] == "forge@1.2.3"
    data = event["request"]["data"]
    assert data["username"] == "alice"
    assert data["password"] == "[Filtered]"
    assert data["email"] == "[Filtered]"
    everything = "\n".join(sentry_on.bodies)
    assert "hunter2-Secret!" not in everything
    assert "alice@example.com" not in everything
    assert "very-secret-token" not in everything


def test_query_string_secrets_do_not_reach_sentry_through_frame_locals(
    sentry_on: SentryStandIn,
) -> None:
    """The request's repr in frame locals carried ?token=... six times into the event."""
    client = Client(raise_request_exception=False)
    response = client.post("/t/boom?token=qs-secret-1&page=2&api_key=qs-secret-2", {})
    assert response.status_code == 500
    sentry_sdk.flush(timeout=5)
    event = sentry_on.wait_for_event()
    everything = "\n".join(sentry_on.bodies)
    assert "qs-secret-1" not in everything
    assert "qs-secret-2" not in everything
    frames = event["exception"]["values"][-1]["stacktrace"]["frames"]
    reprs = [v for f in frames for v in (f.get("vars") or {}).values() if isinstance(v, str)]
    assert any("token=[Filtered]&page=2" in r for r in reprs), reprs


def test_the_tag_does_not_leak_into_later_events(sentry_on: SentryStandIn) -> None:
    client = Client(raise_request_exception=False)
    client.post("/t/boom", {"username": "a"}, HTTP_X_REQUEST_ID="r-1")
    sentry_sdk.flush(timeout=5)
    sentry_on.wait_for_event()
    sentry_on.bodies.clear()
    try:
        raise ValueError("outside any request")
    except ValueError:
        sentry_sdk.capture_exception()
    sentry_sdk.flush(timeout=5)
    event = sentry_on.wait_for_event()
    assert "request_id" not in (event.get("tags") or {})


def test_no_dsn_means_no_sentry(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("SENTRY_DSN", raising=False)
    assert sentry.init() is False
    assert not sentry_sdk.get_client().is_active()


def test_scrub_event_covers_headers_query_frames_user_and_breadcrumbs() -> None:
    event: dict[str, Any] = {
        "request": {
            "headers": [["Authorization", "Bearer t"], ["Accept", "text/html"]],
            "query_string": "page=2&api_key=k&next=a@b.org",
            "cookies": {"sessionid": "s"},
            "data": '{"card_number": "4111", "note": "ok"}',
            "env": {"REMOTE_ADDR": "198.51.100.7"},
        },
        "user": {"id": 5, "email": "u@example.com", "ip_address": "198.51.100.7"},
        "exception": {
            "values": [{"stacktrace": {"frames": [{"vars": {"password": "p", "n": 1}}]}}]
        },
        "breadcrumbs": {"values": [{"message": "mail to x@y.com", "data": {"token": "t"}}]},
        "extra": {"secret_key": "k", "count": 3},
    }
    out = sentry.scrub_event(event)
    assert out["request"]["headers"] == [["Authorization", "[Filtered]"], ["Accept", "text/html"]]
    assert out["request"]["query_string"] == "page=2&api_key=[Filtered]&next=[Filtered]"
    assert "cookies" not in out["request"]
    assert out["request"]["data"] == {"card_number": "[Filtered]", "note": "ok"}
    assert out["request"]["env"] == {"REMOTE_ADDR": "[Filtered]"}
    assert out["user"] == {"id": 5}
    assert out["exception"]["values"][0]["stacktrace"]["frames"][0]["vars"] == {
        "password": "[Filtered]",
        "n": 1,
    }
    assert out["breadcrumbs"]["values"][0] == {
        "message": "mail to [Filtered]",
        "data": {"token": "[Filtered]"},
    }
    assert out["extra"] == {"secret_key": "[Filtered]", "count": 3}


def test_scrub_text_filters_sensitive_parameters_only() -> None:
    from forge_suite.observability.scrubbing import scrub_text

    text = "<WSGIRequest: GET '/x?token=abc&page=2;api_key=k&next=/y?auth=z#frag'>"
    assert scrub_text(text) == (
        "<WSGIRequest: GET '/x?token=[Filtered]&page=2;api_key=[Filtered]"
        "&next=/y?auth=[Filtered]#frag'>"
    )
    assert scrub_text("GET /a?empty_token=&q=1") == "GET /a?empty_token=&q=1"
    assert scrub_text("mail bob@example.org") == "mail [Filtered]"


def test_scrub_event_covers_exception_messages_message_and_contexts() -> None:
    event: dict[str, Any] = {
        "message": "could not mail bob@example.com",
        "exception": {
            "values": [
                {
                    "type": "IntegrityError",
                    "value": "Key (email)=(alice@example.com) already exists.",
                }
            ]
        },
        "contexts": {"shop": {"api_token": "t", "owner": "carol@example.com"}},
    }
    out = sentry.scrub_event(event)
    assert out["message"] == "could not mail [Filtered]"
    assert out["exception"]["values"][0]["value"] == "Key (email)=([Filtered]) already exists."
    assert out["contexts"] == {"shop": {"api_token": "[Filtered]", "owner": "[Filtered]"}}


def test_transactions_are_scrubbed_too(sentry_on: SentryStandIn) -> None:
    client = sentry_sdk.get_client()
    scrub = client.options["before_send_transaction"]
    assert scrub is not None
    event = {"request": {"data": '{"password": "p"}'}, "user": {"id": 1, "email": "u@x.org"}}
    out = scrub(event, {})
    assert out["request"]["data"] == {"password": "[Filtered]"}
    assert out["user"] == {"id": 1}


def test_a_user_before_send_runs_after_scrubbing() -> None:
    seen: list[dict[str, Any]] = []

    def mine(event: dict[str, Any], hint: dict[str, Any]) -> dict[str, Any] | None:
        seen.append(event)
        return None

    before_send = sentry.make_before_send(extra_keys=["nickname"], then=mine)
    assert before_send({"extra": {"nickname": "bob", "password": "x"}}, {}) is None
    assert seen[0]["extra"] == {"nickname": "[Filtered]", "password": "[Filtered]"}
