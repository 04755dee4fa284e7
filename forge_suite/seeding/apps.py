from __future__ import annotations

from django.apps import AppConfig


class SeedingConfig(AppConfig):
    name = "forge_suite.seeding"
    label = "forge_seeding"
    verbose_name = "Seeding"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from django.core import checks as django_checks

        from forge_suite.core import checks  # noqa: F401  registers the FORGE checks
        from forge_suite.seeding import conf  # noqa: F401  registers FORGE["SEEDING"]
        from forge_suite.seeding.checks import check_factory_boy

        django_checks.register(check_factory_boy)
