"""Admin: stream browser, projection status with lag, outbox and dead letters, webhook log."""

from __future__ import annotations

import json
from typing import Any

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.html import format_html

from forge_suite.core.admin import ReadOnlyAdmin
from forge_suite.eventstore.models import (
    OutboxMessage,
    ProjectionCheckpoint,
    Snapshot,
    StoredEvent,
    WebhookAttempt,
    WebhookEndpoint,
)


def _pretty(value: Any) -> str:
    return format_html("<pre>{}</pre>", json.dumps(value, indent=2, sort_keys=True, default=str))


@admin.register(StoredEvent)
class StoredEventAdmin(ReadOnlyAdmin):
    """The stream browser: filter by type, search a stream id, open an event for its data."""

    list_display = ("id", "stream_id", "version", "type", "schema_version", "recorded_at")
    list_filter = ("type", "schema_version", "recorded_at")
    search_fields = ("=stream_id", "=event_id", "type")
    ordering = ("-id",)
    readonly_fields = (
        "id",
        "event_id",
        "stream_id",
        "version",
        "type",
        "schema_version",
        "pretty_data",
        "pretty_metadata",
        "recorded_at",
        "transaction_id",
    )
    exclude = ("data", "metadata")
    show_full_result_count = False

    @admin.display(description="data")
    def pretty_data(self, obj: StoredEvent) -> str:
        return _pretty(obj.data)

    @admin.display(description="metadata")
    def pretty_metadata(self, obj: StoredEvent) -> str:
        return _pretty(obj.metadata)


@admin.register(Snapshot)
class SnapshotAdmin(ReadOnlyAdmin):
    list_display = ("stream_id", "version", "type", "created_at")
    list_filter = ("type",)
    search_fields = ("=stream_id",)


@admin.register(ProjectionCheckpoint)
class ProjectionCheckpointAdmin(admin.ModelAdmin):
    """Projection status: checkpoint against the head, lag, last error; rebuild from here."""

    list_display = ("name", "position", "lag", "events_processed", "has_error", "updated_at")
    search_fields = ("name",)
    readonly_fields = (
        "name",
        "transaction_id",
        "position",
        "lag",
        "events_processed",
        "last_error",
        "updated_at",
    )
    actions = ("rebuild",)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    @admin.display(description="lag (events)")
    def lag(self, obj: ProjectionCheckpoint) -> int:
        from forge_suite.eventstore.store import Position, events_after

        return events_after(Position(obj.transaction_id, obj.position), cap=1_000_000)

    @admin.display(boolean=True, description="error")
    def has_error(self, obj: ProjectionCheckpoint) -> bool:
        return bool(obj.last_error)

    @admin.action(description="Rebuild the selected projections (replay and swap)")
    def rebuild(self, request: HttpRequest, queryset: QuerySet[ProjectionCheckpoint]) -> None:
        from forge_suite.eventstore.exceptions import ProjectionError
        from forge_suite.eventstore.projections import projector_class
        from forge_suite.eventstore.replay import replay

        for row in queryset:
            try:
                count = replay(projector_class(row.name))
            except ProjectionError as exc:
                self.message_user(request, str(exc), messages.ERROR)
            else:
                self.message_user(request, f"{row.name}: rebuilt from {count} events")


@admin.register(OutboxMessage)
class OutboxMessageAdmin(admin.ModelAdmin):
    """The outbox; filter status "dead letter" for the dead letters, retry them from here."""

    list_display = (
        "id",
        "kind",
        "target",
        "event_type",
        "status",
        "attempts",
        "max_attempts",
        "available_at",
        "short_error",
    )
    list_filter = ("status", "kind", "event_type")
    search_fields = ("=event_id", "target", "event_type")
    readonly_fields = [f.name for f in OutboxMessage._meta.fields]
    actions = ("retry_selected", "redeliver_selected")

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    @admin.display(description="last error")
    def short_error(self, obj: OutboxMessage) -> str:
        return obj.last_error.splitlines()[-1][:80] if obj.last_error else ""

    @admin.action(description="Retry now (pending and dead letters)")
    def retry_selected(self, request: HttpRequest, queryset: QuerySet[OutboxMessage]) -> None:
        from forge_suite.eventstore.outbox import retry

        self.message_user(request, f"{retry(queryset)} message(s) will be delivered again")

    @admin.action(description="Redeliver (also delivered ones)")
    def redeliver_selected(self, request: HttpRequest, queryset: QuerySet[OutboxMessage]) -> None:
        from forge_suite.eventstore.outbox import redeliver

        self.message_user(request, f"{redeliver(queryset)} message(s) will be delivered again")


@admin.register(WebhookEndpoint)
class WebhookEndpointAdmin(admin.ModelAdmin):
    list_display = ("name", "url", "is_active", "created_at")
    list_filter = ("is_active",)
    search_fields = ("name", "url")


@admin.register(WebhookAttempt)
class WebhookAttemptAdmin(ReadOnlyAdmin):
    """The webhook delivery log."""

    list_display = (
        "created_at",
        "endpoint",
        "attempt",
        "status_code",
        "ok",
        "duration_ms",
        "message",
    )
    list_filter = ("ok", "endpoint", "status_code")
    search_fields = ("endpoint", "url", "=message__event_id")
    list_select_related = ("message",)
