from __future__ import annotations

from django.apps import AppConfig


class RealtimeConfig(AppConfig):
    name = "forge_suite.realtime"
    label = "forge_realtime"
    verbose_name = "Realtime"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from forge_suite.core import checks  # noqa: F401  registers the FORGE checks
        from forge_suite.realtime import checks as realtime_checks  # noqa: F401
        from forge_suite.realtime import conf  # noqa: F401  registers FORGE["REALTIME"]
