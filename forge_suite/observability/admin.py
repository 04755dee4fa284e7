"""Admin: the health overview page (every component, status, latency and message)."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse

from forge_suite.observability import health
from forge_suite.observability.models import HealthOverview


@admin.register(HealthOverview)
class HealthOverviewAdmin(admin.ModelAdmin):
    """The model's changelist is replaced by the live health report."""

    list_display = ("__str__",)
    list_filter = ()
    search_fields = ()

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def changelist_view(
        self, request: HttpRequest, extra_context: dict[str, Any] | None = None
    ) -> HttpResponse:
        if not self.has_view_permission(request):
            from django.core.exceptions import PermissionDenied

            raise PermissionDenied
        report = health.run_sync("all")
        context = {
            **self.admin_site.each_context(request),
            "title": "Health overview",
            "opts": self.model._meta,
            "report": report,
            **(extra_context or {}),
        }
        return TemplateResponse(
            request,
            "admin/forge_observability/health_overview.html",
            context,
            status=report.http_status,
        )
