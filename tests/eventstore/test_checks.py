"""System checks of forge_suite.eventstore."""

from __future__ import annotations

from unittest import mock

from django.db import connections
from django.test import override_settings

from forge_suite.eventstore.checks import check_database, check_webhook_endpoints
from forge_suite.eventstore.webhooks import generate_secret


def test_databases_without_a_gap_free_reader_are_warned_about() -> None:
    assert check_database() == []
    with mock.patch.object(connections["default"], "vendor", "mysql"):
        [warning] = check_database()
    assert warning.id == "forge_eventstore.W001"
    assert "PostgreSQL 13+" in warning.hint


@override_settings(
    FORGE={
        "EVENTSTORE": {
            "WEBHOOK_ENDPOINTS": {
                "ok": {"url": "https://example.com/hooks", "secret": generate_secret()},
                "no_url": {"secret": generate_secret()},
                "bad_secret": {"url": "https://example.com/hooks", "secret": "whsec_***"},
                "no_secret": {"url": "http://example.com/hooks"},
            }
        }
    }
)
def test_webhook_endpoints_in_settings_are_checked() -> None:
    found = sorted((m.id, m.msg.split("[")[-1].split("]")[0]) for m in check_webhook_endpoints())
    assert found == [
        ("forge_eventstore.E001", "'no_url'"),
        ("forge_eventstore.E002", "'bad_secret'"),
        ("forge_eventstore.E002", "'no_secret'"),
    ]
