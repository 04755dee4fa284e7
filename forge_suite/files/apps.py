from __future__ import annotations

from django.apps import AppConfig


class FilesConfig(AppConfig):
    name = "forge_suite.files"
    label = "forge_files"
    verbose_name = "Files"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from forge_suite.core import checks  # noqa: F401  registers the FORGE checks
        from forge_suite.files import checks as files_checks  # noqa: F401
        from forge_suite.files import conf  # noqa: F401  registers FORGE["FILES"]
