from __future__ import annotations

from django.apps import AppConfig
from django.core import checks
from django.core.signals import setting_changed


class CoreConfig(AppConfig):
    name = "forge_suite.core"
    label = "forge_core"
    verbose_name = "Forge Suite"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        # Explicit registration (see docs/contributing.md): everything this app hooks into
        # Django or Celery is named here, nothing registers itself as an import side effect.
        from forge_suite.core import celery  # the suite's Celery app: @shared_task binds to it
        from forge_suite.core.checks import check_forge_setting
        from forge_suite.core.conf import reload_settings

        del celery
        checks.register(check_forge_setting, checks.Tags.compatibility)
        setting_changed.connect(reload_settings, dispatch_uid="forge_suite.core.conf.reload")
