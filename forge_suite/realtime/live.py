"""The admin's live page: apps, connections per process, busiest channels, presence members.

Reads the shared state (Redis when configured, so every server process shows up; otherwise the
state of the process serving the page). On the admin index as *Realtime > Live overview*
(:mod:`forge_suite.realtime.admin`) and at ``broadcasting/live``, staff only.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.contrib.admin.views.decorators import staff_member_required
from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse

from forge_suite.realtime.hub import reading_state
from forge_suite.realtime.registry import all_apps

__all__ = ["REFRESH_SECONDS", "AppSnapshot", "live_view", "snapshot"]

BUSIEST = 10
MEMBERS_SHOWN = 20
#: The page reloads itself this often.
REFRESH_SECONDS = 5


@dataclass
class AppSnapshot:
    id: str
    name: str
    processes: dict[str, int]
    channels: list[tuple[str, int]]
    presence: list[tuple[str, int, list[str]]] = field(default_factory=list)

    @property
    def connections(self) -> int:
        return sum(self.processes.values())


async def snapshot() -> list[AppSnapshot]:
    """What the live page shows, for every configured app."""
    async with reading_state() as state:
        return [await _app_snapshot(state, app) for app in all_apps()]


async def _app_snapshot(state: Any, app: Any) -> AppSnapshot:
    counts = await state.subscription_counts(app.id)
    busiest = sorted(counts.items(), key=lambda item: (-item[1], item[0]))[:BUSIEST]
    presence = []
    channels = await state.presence_channels(app.id)
    for name, size in sorted(channels.items(), key=lambda i: (-i[1], i[0]))[:BUSIEST]:
        members, _ = await state.presence_members(app.id, name)
        presence.append((name, size, sorted(members)[:MEMBERS_SHOWN]))
    processes = await state.connections_by_process(app.id)
    return AppSnapshot(app.id, app.name, processes, busiest, presence)


@staff_member_required
async def live_view(request: HttpRequest) -> HttpResponse:
    """Staff-only page refreshing every few seconds (native admin look)."""
    context: dict[str, Any] = {
        "title": "Realtime: live",
        "apps": await snapshot(),
        "refresh": REFRESH_SECONDS,
        "has_permission": True,
        "site_header": "Django administration",
    }
    return TemplateResponse(request, "admin/forge_realtime/live.html", context)
