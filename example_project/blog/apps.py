from __future__ import annotations

from django.apps import AppConfig


class BlogConfig(AppConfig):
    name = "example_project.blog"
    label = "blog"
    verbose_name = "Demo blog"
    default_auto_field = "django.db.models.BigAutoField"
