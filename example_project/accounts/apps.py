from __future__ import annotations

from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "example_project.accounts"
    label = "accounts"
    verbose_name = "Demo accounts"
    default_auto_field = "django.db.models.BigAutoField"
