from __future__ import annotations

from django.apps import AppConfig


class FilesConfig(AppConfig):
    name = "forge_suite.files"
    label = "forge_files"
    verbose_name = "Files"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from django.core import checks

        from forge_suite.files import checks as files_checks
        from forge_suite.files import conf

        del conf  # imported to register FORGE["FILES"]
        checks.register(files_checks.check_files, checks.Tags.compatibility)
