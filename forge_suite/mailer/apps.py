from __future__ import annotations

from django.apps import AppConfig


class MailerConfig(AppConfig):
    name = "forge_suite.mailer"
    label = "forge_mailer"
    verbose_name = "Mailer"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from forge_suite.core import checks  # noqa: F401  registers the FORGE checks
        from forge_suite.mailer import checks as mailer_checks  # noqa: F401
        from forge_suite.mailer import (
            conf,  # noqa: F401  registers FORGE["MAILER"]
            tracking,
        )

        tracking.connect()
