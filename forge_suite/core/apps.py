from __future__ import annotations

from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "forge_suite.core"
    label = "forge_core"
    verbose_name = "Forge Suite"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from forge_suite import celery  # noqa: F401  binds @shared_task to the suite's app
        from forge_suite.core import checks  # noqa: F401  registers the FORGE checks
