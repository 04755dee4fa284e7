from __future__ import annotations

from django.apps import AppConfig


class HousekeepingConfig(AppConfig):
    name = "example_project.housekeeping"
    label = "example_housekeeping"
    verbose_name = "Housekeeping (scheduling demo)"
