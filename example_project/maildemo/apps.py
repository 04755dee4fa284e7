from __future__ import annotations

from django.apps import AppConfig


class MailDemoConfig(AppConfig):
    """Mailer demo: welcome mail, order confirmation, newsletter, notification bell."""

    name = "example_project.maildemo"
    label = "maildemo"
    verbose_name = "Mail demo"
    default_auto_field = "django.db.models.BigAutoField"
