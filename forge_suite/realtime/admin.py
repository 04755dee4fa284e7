"""Admin: the live page (apps, connections per process, busiest channels, presence members)
on the admin index, under *Realtime > Live overview*."""

from __future__ import annotations

from typing import Any

from asgiref.sync import async_to_sync
from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse

from forge_suite.realtime.live import REFRESH_SECONDS, snapshot
from forge_suite.realtime.models import LiveOverview


@admin.register(LiveOverview)
class LiveOverviewAdmin(admin.ModelAdmin):
    """The model's changelist is replaced by the live page (refreshing itself)."""

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
            raise PermissionDenied
        context = {
            **self.admin_site.each_context(request),
            "title": "Realtime: live",
            "opts": self.model._meta,
            "apps": async_to_sync(snapshot)(),
            "refresh": REFRESH_SECONDS,
            **(extra_context or {}),
        }
        return TemplateResponse(request, "admin/forge_realtime/live.html", context)
