from __future__ import annotations

from django.apps import AppConfig
from django.core import checks
from django.core.signals import setting_changed


class ObservabilityConfig(AppConfig):
    name = "forge_suite.observability"
    label = "forge_observability"
    verbose_name = "Observability"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        # Explicit registration (see docs/contributing.md): settings section, checks, signal
        # receivers and the metrics implementation, each named here.
        from forge_suite.core.metrics import install_metrics
        from forge_suite.observability import checks as observability_checks
        from forge_suite.observability import conf, health, jobs, tracing
        from forge_suite.observability.metrics import prometheus_metrics

        del conf  # imported to register FORGE["OBSERVABILITY"]
        checks.register(observability_checks.check_task_metrics, checks.Tags.compatibility)
        checks.register(observability_checks.check_tracing, checks.Tags.compatibility)
        jobs.connect()
        setting_changed.connect(health.forget_reports, dispatch_uid="forge_observability.health")
        install_metrics(prometheus_metrics)
        # OpenTelemetry when OTLP_ENDPOINT is set: before the first request handler loads the
        # middleware, which Django's instrumentation extends.
        tracing.configure()
