from __future__ import annotations

from django.apps import AppConfig


class ObservabilityConfig(AppConfig):
    name = "forge_suite.observability"
    label = "forge_observability"
    verbose_name = "Observability"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from forge_suite.core import checks  # noqa: F401  registers the FORGE checks
        from forge_suite.observability import conf, jobs

        del conf  # imported to register FORGE["OBSERVABILITY"]

        jobs.connect()
