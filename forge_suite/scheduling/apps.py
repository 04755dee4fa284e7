from __future__ import annotations

from django.apps import AppConfig


class SchedulingConfig(AppConfig):
    name = "forge_suite.scheduling"
    label = "forge_scheduling"
    verbose_name = "Scheduling"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from forge_suite.core import checks  # noqa: F401  registers the FORGE checks
        from forge_suite.scheduling import (  # noqa: F401  checks, settings, Celery signal handlers
            checks as scheduling_checks,
        )
