from __future__ import annotations

from django.test import override_settings
from prometheus_client import REGISTRY

from forge_suite.core.metrics import suite_metrics


def value(name: str, labels: dict[str, str]) -> float:
    return REGISTRY.get_sample_value(name, labels) or 0.0


def test_metrics_are_recorded_when_observability_is_installed() -> None:
    metrics = suite_metrics()
    assert metrics is not None
    before = value("forge_throttle_decisions_total", {"policy": "core-test", "outcome": "limited"})
    metrics.record_throttle_decision("core-test", allowed=False)
    after = value("forge_throttle_decisions_total", {"policy": "core-test", "outcome": "limited"})
    assert after == before + 1


def test_no_metrics_module_without_the_observability_app() -> None:
    from django.conf import settings

    installed = [a for a in settings.INSTALLED_APPS if a != "forge_suite.observability"]
    with override_settings(INSTALLED_APPS=installed):
        assert suite_metrics() is None
