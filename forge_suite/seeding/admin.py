from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from forge_suite.seeding.models import SeedRun


@admin.register(SeedRun)
class SeedRunAdmin(admin.ModelAdmin):
    list_display = ["seeder", "environment", "seed", "rows", "started_at", "duration"]
    list_filter = ["environment", "seeder", "started_at"]
    search_fields = ["seeder"]
    date_hierarchy = "started_at"
    readonly_fields = ["seeder", "environment", "seed", "rows", "started_at", "duration"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
