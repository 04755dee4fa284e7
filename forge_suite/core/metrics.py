"""Access to the observability app's metrics from any other app, only when it is installed."""

from __future__ import annotations

from types import ModuleType

from django.apps import apps


def suite_metrics() -> ModuleType | None:
    """``forge_suite.observability.metrics`` when the observability app is installed, else None.

    Callers do ``if (m := suite_metrics()): m.record_job(...)`` so an app works alone.
    """
    if not apps.is_installed("forge_suite.observability"):
        return None
    try:
        from forge_suite.observability import metrics
    except ImportError:  # pragma: no cover - prometheus_client missing
        return None
    return metrics
