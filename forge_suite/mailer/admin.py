"""Admin: outbox with preview, events and resend; suppressions; campaigns; notifications."""

from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest
from django.urls import path
from django.utils.html import format_html

from forge_suite.mailer import models
from forge_suite.mailer.admin_views import MailablePreviewView, dashboard_view, message_preview


class EmailEventInline(admin.TabularInline):
    model = models.EmailEvent
    extra = 0
    can_delete = False
    fields = ("timestamp", "event_type", "recipient", "esp_name", "reject_reason", "click_url")
    readonly_fields = fields

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(models.OutboundEmail)
class OutboundEmailAdmin(admin.ModelAdmin):
    list_display = (
        "subject",
        "recipients_display",
        "status",
        "mailer_used",
        "attempts",
        "resent",
        "created_at",
        "sent_at",
    )
    list_filter = ("status", "mailer", "mailer_used", "resent", "list_name")
    search_fields = ("subject", "message_id", "provider_message_id", "to", "mailable")
    date_hierarchy = "created_at"
    readonly_fields = [f.name for f in models.OutboundEmail._meta.fields] + ["preview"]
    exclude = ("html",)
    inlines = [EmailEventInline]
    actions = ["resend"]
    change_list_template = "forge_mailer/admin/outbox_change_list.html"

    @admin.display(description="to")
    def recipients_display(self, obj: models.OutboundEmail) -> str:
        return ", ".join(obj.to)

    @admin.display(description="preview")
    def preview(self, obj: models.OutboundEmail) -> str:
        return format_html(
            '<iframe src="{}" style="width:100%;height:480px;border:1px solid #ccc"></iframe>',
            f"../preview/{obj.pk}/" if obj.pk else "",
        )

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def get_urls(self) -> list[Any]:
        extra = [
            path(
                "<int:pk>/preview/",
                self.admin_site.admin_view(message_preview),
                name="forge_mailer_outboundemail_preview",
            ),
            path(
                "dashboard/",
                self.admin_site.admin_view(dashboard_view),
                name="forge_mailer_dashboard",
            ),
            path(
                "mailables/",
                self.admin_site.admin_view(MailablePreviewView.as_view()),
                name="forge_mailer_mailables",
            ),
        ]
        return extra + super().get_urls()

    @admin.action(description="Send again (as new queued messages)")
    def resend(self, request: HttpRequest, queryset: QuerySet[models.OutboundEmail]) -> None:
        from forge_suite.mailer.queueing import resend

        count = 0
        for row in queryset:
            resend(row)
            count += 1
        self.message_user(request, f"{count} message(s) queued again.", messages.SUCCESS)


@admin.register(models.EmailEvent)
class EmailEventAdmin(admin.ModelAdmin):
    list_display = ("timestamp", "event_type", "recipient", "esp_name", "message")
    list_filter = ("event_type", "esp_name")
    search_fields = ("recipient", "event_id", "message__subject")
    raw_id_fields = ("message",)


@admin.register(models.Suppression)
class SuppressionAdmin(admin.ModelAdmin):
    list_display = ("email", "reason", "created_at")
    list_filter = ("reason",)
    search_fields = ("email",)


@admin.register(models.Unsubscription)
class UnsubscriptionAdmin(admin.ModelAdmin):
    list_display = ("email", "list_name", "created_at")
    list_filter = ("list_name",)
    search_fields = ("email",)


@admin.register(models.Campaign)
class CampaignAdmin(admin.ModelAdmin):
    list_display = ("name", "mailable", "state", "total", "queued", "skipped", "created_at")
    list_filter = ("state",)
    search_fields = ("name", "mailable")
    readonly_fields = ("total", "queued", "skipped", "finished_at", "stats_display")

    @admin.display(description="stats")
    def stats_display(self, obj: models.Campaign) -> str:
        return ", ".join(f"{k}: {v}" for k, v in sorted(obj.stats().items())) or "-"


@admin.register(models.DatabaseNotification)
class DatabaseNotificationAdmin(admin.ModelAdmin):
    list_display = ("kind", "user", "read_at", "created_at")
    list_filter = ("kind",)
    search_fields = ("kind", "user__username")
    raw_id_fields = ("user",)


@admin.register(models.NotificationDelivery)
class NotificationDeliveryAdmin(admin.ModelAdmin):
    list_display = ("kind", "channel", "recipient", "state", "attempts", "created_at")
    list_filter = ("channel", "state", "kind")
    search_fields = ("recipient", "kind")
    readonly_fields = [f.name for f in models.NotificationDelivery._meta.fields]


@admin.register(models.NotificationPreference)
class NotificationPreferenceAdmin(admin.ModelAdmin):
    list_display = ("user", "kind", "channel", "enabled")
    list_filter = ("channel", "enabled")
    search_fields = ("user__username", "kind")
    raw_id_fields = ("user",)
