from __future__ import annotations

from django.apps import AppConfig


class ApiConfig(AppConfig):
    name = "forge_suite.api"
    label = "forge_api"
    verbose_name = "API"

    def ready(self) -> None:
        # Explicit registration (see docs/contributing.md): the settings section.
        from django.core import checks

        from forge_suite.api import checks as api_checks
        from forge_suite.api import conf

        del conf  # imported to register FORGE["API"]
        checks.register(api_checks.check_schema_class, checks.Tags.compatibility)
