from __future__ import annotations

from django.apps import AppConfig
from django.core import checks


class SeedingConfig(AppConfig):
    name = "forge_suite.seeding"
    label = "forge_seeding"
    verbose_name = "Seeding"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        # Explicit registration (see docs/contributing.md): the settings section and the
        # check of factory_boy's internals, each named here.
        from forge_suite.seeding import checks as seeding_checks
        from forge_suite.seeding import conf

        del conf  # imported to register FORGE["SEEDING"]
        checks.register(seeding_checks.check_factory_boy, checks.Tags.compatibility)
