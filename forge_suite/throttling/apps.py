"""Rate limiting with several algorithms."""

from __future__ import annotations

from django.apps import AppConfig
from django.db.models.signals import post_delete, post_save


class ThrottlingConfig(AppConfig):
    name = "forge_suite.throttling"
    label = "forge_throttling"
    verbose_name = "Throttling"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from forge_suite.core import checks  # noqa: F401  registers the FORGE checks
        from forge_suite.throttling import checks as throttling_checks  # noqa: F401
        from forge_suite.throttling import conf  # noqa: F401  registers FORGE["THROTTLING"]
        from forge_suite.throttling.dynamic import invalidate
        from forge_suite.throttling.models import RateLimitOverride

        post_save.connect(
            invalidate, sender=RateLimitOverride, dispatch_uid="forge_throttling.invalidate_save"
        )
        post_delete.connect(
            invalidate, sender=RateLimitOverride, dispatch_uid="forge_throttling.invalidate_del"
        )
