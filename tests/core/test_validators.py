"""Shared option validators, and that the FORGE check reports what they find."""

from __future__ import annotations

from typing import Any

import pytest

from forge_suite.core import validators
from forge_suite.core.checks import check_forge_setting


@pytest.mark.parametrize(
    ("validator", "good", "bad", "problem"),
    [
        (validators.positive, [1, 0.5], [0, -1], "greater than 0"),
        (validators.non_negative, [0, 2.5], [-1], "0 or more"),
        (validators.url, ["redis://h:1/0", "amqp://g@h//"], ["localhost:6379"], "expected a URL"),
        (validators.dotted_path, ["a.b", "pkg.mod.Class"], ["Class", "a..b", 3], "dotted import"),
        (validators.non_empty, ["x"], ["", "  "], "must not be empty"),
        (validators.rate, ["10/s", "5/10s"], ["10/sec", "0/m"], "rate"),
        (validators.one_of("ietf", "x"), ["ietf"], ["other", "IETF"], "must be one of 'ietf'"),
        (validators.one_of("Forwarded", ignore_case=True), ["forwarded"], ["X"], "must be one"),
        (validators.ip_network, ["10.0.0.0/8", "fd00::/8", "::1"], ["10.0.0.0/33", "x"], "IP net"),
        (validators.each(validators.positive), [[1, 2], []], [[1, 0]], "item 1: must be greater"),
    ],
)
def test_validators(validator: Any, good: list[Any], bad: list[Any], problem: str) -> None:
    for value in good:
        assert validator(value) is None, value
    for value in bad:
        message = validator(value)
        assert message is not None, value
        assert problem in message


def test_the_check_names_the_key_and_the_problem(settings: Any) -> None:
    settings.FORGE = {"REDIS_URL": "localhost:6379", "REDIS_MAX_CONNECTIONS": 0}
    messages = {m.msg for m in check_forge_setting()}
    assert any("REDIS_URL" in m and "expected a URL" in m for m in messages), messages
    assert any("REDIS_MAX_CONNECTIONS" in m and "greater than 0" in m for m in messages), messages


@pytest.mark.needs_apps("forge_suite.observability")
def test_observability_uses_the_shared_validators(settings: Any) -> None:
    settings.FORGE = {"OBSERVABILITY": {"HEALTH_TIMEOUT": 0}}
    messages = [m.msg for m in check_forge_setting()]
    assert any("HEALTH_TIMEOUT" in m and "must be greater than 0, got 0" in m for m in messages)
