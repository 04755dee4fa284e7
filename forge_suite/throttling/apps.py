from __future__ import annotations

from django.apps import AppConfig


class ThrottlingConfig(AppConfig):
    name = "forge_suite.throttling"
    label = "forge_throttling"
    verbose_name = "Throttling"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from forge_suite.core import checks  # noqa: F401  registers the FORGE checks
        from forge_suite.throttling import conf  # noqa: F401  registers FORGE["THROTTLING"]
