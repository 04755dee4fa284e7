"""FORGE["OBSERVABILITY"] options are validated by the suite's system check."""

from __future__ import annotations

import pytest
from django.test import override_settings

from forge_suite.core.checks import check_forge_setting
from tests.observability.conftest import forge


def errors(**options: object) -> list[str]:
    with override_settings(FORGE=forge(**options)):
        return [f"{m.id} {m.msg}" for m in check_forge_setting()]


def test_defaults_pass() -> None:
    assert errors() == []


@pytest.mark.parametrize(
    ("options", "fragment"),
    [
        ({"HEALTH_TIMEOUT": 0}, "HEALTH_TIMEOUT"),
        ({"HEALTH_TIMEOUT": "3"}, "HEALTH_TIMEOUT"),
        ({"METRICS_ALLOWED_IPS": ["10.0.0.0/8", "not-an-ip"]}, "'not-an-ip' is not an IP"),
        ({"METRICS_TOKEN": 123}, "METRICS_TOKEN"),
        ({"HEALTH_NON_CRITICAL": ["mail", ""]}, "HEALTH_NON_CRITICAL"),
        ({"REQUEST_ID_MAX_LENGTH": -1}, "REQUEST_ID_MAX_LENGTH"),
        ({"HEALTH_TIMOUT": 3}, "HEALTH_TIMOUT"),
    ],
)
def test_bad_values_are_reported_naming_the_key(options: dict[str, object], fragment: str) -> None:
    found = errors(**options)
    assert found, options
    assert any(fragment in message for message in found), found
