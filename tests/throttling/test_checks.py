"""System checks of FORGE["THROTTLING"]."""

from __future__ import annotations

from typing import Any

import pytest

from forge_suite.throttling.checks import check_throttling


def ids(settings: Any, throttling: dict[str, Any], **top: Any) -> list[str]:
    settings.FORGE = {**top, "THROTTLING": throttling}
    return [m.id for m in check_throttling()]


def test_valid_configuration_passes(settings: Any) -> None:
    config = {
        "POLICIES": {"api": {"rate": "60/m", "paths": ["/api/*"]}},
        "BYPASS_HEADER": "X-Bypass",
        "BYPASS_SECRET": "0123456789abcdef0123",
        "TRUSTED_IPS": ["10.0.0.0/8"],
    }
    assert ids(settings, config) == []


@pytest.mark.parametrize(
    ("config", "expected"),
    [
        ({"POLICIES": {"api": {"rate": "60/fortnight"}}}, "forge_throttling.E001"),
        ({"POLICIES": {"api": {"rate": "60/m", "algorithm": "leaky"}}}, "forge_throttling.E001"),
        ({"STORE": "redis"}, "forge_throttling.E002"),
        ({"BYPASS_HEADER": "X-Bypass"}, "forge_throttling.E003"),
        ({"BYPASS_HEADER": "X-Bypass", "BYPASS_SECRET": "short"}, "forge_throttling.E003"),
        ({"TRUSTED_IPS": ["10.0.0.0/33"]}, "forge_throttling.E004"),
        ({"STORE": "memory"}, "forge_throttling.W001"),
    ],
)
def test_problems_are_reported(settings: Any, config: dict[str, Any], expected: str) -> None:
    assert ids(settings, config) == [expected]


def test_core_check_validates_option_types(settings: Any) -> None:
    from forge_suite.core.checks import check_forge_setting

    settings.FORGE = {"THROTTLING": {"FAILURE_MODE": "sideways", "POLIICES": {}}}
    messages = [m.msg for m in check_forge_setting()]
    assert any("FAILURE_MODE" in m and "'open'" in m for m in messages)
    assert any("POLIICES" in m for m in messages)
