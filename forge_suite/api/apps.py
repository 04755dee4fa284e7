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
        from forge_suite.api import conf, schema

        del conf, schema  # imported to register FORGE["API"] and the OpenAPI scheme
        checks.register(api_checks.check_schema_class, checks.Tags.compatibility)
