from __future__ import annotations

from django.apps import AppConfig


class SchedulingConfig(AppConfig):
    name = "forge_suite.scheduling"
    label = "forge_scheduling"
    verbose_name = "Scheduling"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        import importlib

        # Registers the FORGE checks, this app's checks and settings, the Celery signal
        # handlers that write the job history, and the app's Celery tasks.
        for module in (
            "forge_suite.core.checks",
            "forge_suite.scheduling.checks",
            "forge_suite.scheduling.conf",
            "forge_suite.scheduling.history",
            "forge_suite.scheduling.heartbeat",
            "forge_suite.scheduling.tasks",
        ):
            importlib.import_module(module)
