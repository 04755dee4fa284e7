"""Admin: the health overview page (every component, status, latency and message)."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from forge_suite.core.admin import PageAdmin
from forge_suite.observability import health
from forge_suite.observability.models import HealthOverview


@admin.register(HealthOverview)
class HealthOverviewAdmin(PageAdmin):
    """The model's changelist is replaced by the live health report."""

    template = "admin/forge_observability/health_overview.html"
    title = "Health overview"

    def page_context(self, request: HttpRequest) -> dict[str, Any]:
        report = health.run_sync("all")
        return {"report": report, "status": report.http_status}
