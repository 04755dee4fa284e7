"""Admin: the live page (apps, connections per process, busiest channels, presence members)
on the admin index, under *Realtime > Live overview*."""

from __future__ import annotations

from typing import Any

from asgiref.sync import async_to_sync
from django.contrib import admin
from django.http import HttpRequest

from forge_suite.core.admin import PageAdmin
from forge_suite.realtime.live import REFRESH_SECONDS, snapshot
from forge_suite.realtime.models import LiveOverview


@admin.register(LiveOverview)
class LiveOverviewAdmin(PageAdmin):
    """The model's changelist is replaced by the live page (refreshing itself)."""

    template = "admin/forge_realtime/live.html"
    title = "Realtime: live"

    def page_context(self, request: HttpRequest) -> dict[str, Any]:
        return {"apps": async_to_sync(snapshot)(), "refresh": REFRESH_SECONDS}
