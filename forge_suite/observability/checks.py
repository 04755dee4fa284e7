"""System checks of the observability app, registered from ``ObservabilityConfig.ready()``."""

from __future__ import annotations

from typing import Any

from django.core.checks import CheckMessage, Warning

from forge_suite.observability.jobs import scheduling_owns_job_metrics

__all__ = ["check_task_metrics", "check_tracing"]


def check_task_metrics(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    """Warn when ``TASK_METRICS`` would count the jobs scheduling already counts."""
    from forge_suite.observability.conf import app_settings

    if app_settings.TASK_METRICS and scheduling_owns_job_metrics():
        return [
            Warning(
                'FORGE["OBSERVABILITY"]["TASK_METRICS"] is on but forge_suite.scheduling is '
                "installed and already records every Celery task in forge_jobs_total; the "
                "observability signal handlers stay quiet so each job is counted once.",
                hint='Remove "TASK_METRICS" (or set it to False) while scheduling is installed.',
                obj="settings.FORGE",
                id="forge_observability.W001",
            )
        ]
    return []


def check_tracing(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    """Warn when ``OTLP_ENDPOINT`` is set but the OpenTelemetry SDK is not installed."""
    from forge_suite.observability.conf import app_settings

    if not app_settings.OTLP_ENDPOINT:
        return []
    try:
        import opentelemetry.exporter.otlp.proto.http.trace_exporter
        import opentelemetry.sdk.trace  # noqa: F401
    except ImportError as exc:
        return [
            Warning(
                f'FORGE["OBSERVABILITY"]["OTLP_ENDPOINT"] is set but OpenTelemetry is not '
                f"installed ({exc}): no span is exported; requests and jobs still carry the "
                "W3C trace context in their headers and log lines.",
                hint="pip install 'forge-suite[otel]'",
                obj="settings.FORGE",
                id="forge_observability.W010",
            )
        ]
    return []
