"""Outbox, tracking events, suppressions, list subscriptions, campaigns and notifications."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class Status(models.TextChoices):
    QUEUED = "queued", _("queued")
    SENDING = "sending", _("sending")
    SENT = "sent", _("sent")
    DELIVERED = "delivered", _("delivered")
    OPENED = "opened", _("opened")
    CLICKED = "clicked", _("clicked")
    BOUNCED = "bounced", _("bounced")
    COMPLAINED = "complained", _("complained")
    FAILED = "failed", _("failed")
    SUPPRESSED = "suppressed", _("suppressed")


#: Tracking statuses in the order they progress; an older event never moves a message back.
PROGRESS = [Status.SENT, Status.DELIVERED, Status.OPENED, Status.CLICKED]


class OutboundEmail(models.Model):
    """One message in the outbox: its rendered content, status and delivery history."""

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    message_id = models.CharField(_("Message-ID"), max_length=255, db_index=True)
    mailable = models.CharField(max_length=255, blank=True)
    mailer = models.CharField(max_length=100, blank=True, help_text=_("Alias asked for."))
    mailer_used = models.CharField(max_length=100, blank=True, help_text=_("Alias that sent."))
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.QUEUED)
    from_email = models.CharField(max_length=320)
    to = models.JSONField(default=list)
    cc = models.JSONField(default=list, blank=True)
    bcc = models.JSONField(default=list, blank=True)
    reply_to = models.JSONField(default=list, blank=True)
    subject = models.CharField(max_length=998)
    text = models.TextField(blank=True)
    html = models.TextField(blank=True)
    headers = models.JSONField(default=dict, blank=True)
    tags = models.JSONField(default=list, blank=True)
    metadata = models.JSONField(default=dict, blank=True)
    attachments = models.JSONField(default=list, blank=True)
    list_name = models.CharField(max_length=100, blank=True)
    campaign = models.ForeignKey(
        "forge_mailer.Campaign", null=True, blank=True, on_delete=models.SET_NULL
    )
    provider_message_id = models.CharField(max_length=255, blank=True, db_index=True)
    batch_key = models.CharField(
        max_length=32,
        blank=True,
        help_text=_("Rows with one key go to the ESP in one batch send (shared content)."),
    )
    merge_data = models.JSONField(
        default=dict, blank=True, help_text=_("This recipient's values for the ESP's merge tags.")
    )
    attempts = models.PositiveIntegerField(default=0)
    last_error = models.TextField(blank=True)
    claim_token = models.CharField(max_length=64, blank=True)
    lease_until = models.DateTimeField(null=True, blank=True)
    resent = models.BooleanField(
        default=False, help_text=_("Taken up again after its worker died mid-send.")
    )
    created_at = models.DateTimeField(default=timezone.now)
    scheduled_at = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("outbound email")
        verbose_name_plural = _("outbound emails")
        indexes = [
            models.Index(fields=["status", "scheduled_at"], name="forge_mail_status_sched"),
            models.Index(fields=["status", "lease_until"], name="forge_mail_status_lease"),
            models.Index(fields=["created_at"], name="forge_mail_created"),
        ]

    def __str__(self) -> str:
        return f"{self.subject} → {', '.join(self.to)} ({self.status})"

    def recipients(self) -> list[str]:
        return [*self.to, *self.cc, *self.bcc]


class EmailEvent(models.Model):
    """A normalised tracking event (from an ESP webhook or our own pixel/click links)."""

    message = models.ForeignKey(
        OutboundEmail, null=True, blank=True, related_name="events", on_delete=models.CASCADE
    )
    event_type = models.CharField(max_length=32)
    esp_name = models.CharField(max_length=50, blank=True)
    event_id = models.CharField(max_length=255, blank=True)
    recipient = models.CharField(max_length=320, blank=True)
    reject_reason = models.CharField(max_length=32, blank=True)
    description = models.TextField(blank=True)
    click_url = models.URLField(max_length=2000, blank=True)
    timestamp = models.DateTimeField(default=timezone.now)
    raw = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["-timestamp", "-id"]
        verbose_name = _("email event")
        verbose_name_plural = _("email events")
        indexes = [
            models.Index(fields=["event_type", "timestamp"], name="forge_mail_evt_type"),
            models.Index(fields=["esp_name", "event_id"], name="forge_mail_evt_id"),
        ]

    def __str__(self) -> str:
        return f"{self.event_type} {self.recipient}"


class Suppression(models.Model):
    """An address we never send to again (hard bounce, complaint, or added by hand)."""

    class Reason(models.TextChoices):
        BOUNCED = "bounced", _("hard bounce")
        COMPLAINED = "complained", _("spam complaint")
        MANUAL = "manual", _("added by hand")

    email = models.EmailField(max_length=320, unique=True)
    reason = models.CharField(max_length=16, choices=Reason.choices)
    detail = models.TextField(blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("suppressed address")
        verbose_name_plural = _("suppressed addresses")

    def __str__(self) -> str:
        return f"{self.email} ({self.reason})"


class Unsubscription(models.Model):
    """An address that left one mailing list (``list_name``)."""

    email = models.EmailField(max_length=320)
    list_name = models.CharField(max_length=100)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("unsubscription")
        verbose_name_plural = _("unsubscriptions")
        constraints = [
            models.UniqueConstraint(fields=["email", "list_name"], name="forge_mail_unsub_uniq")
        ]

    def __str__(self) -> str:
        return f"{self.email} left {self.list_name}"


class Campaign(models.Model):
    """A bulk send of one Mailable to many recipients, with progress and stats."""

    class State(models.TextChoices):
        DRAFT = "draft", _("draft")
        SENDING = "sending", _("sending")
        DONE = "done", _("done")

    name = models.CharField(max_length=200)
    mailable = models.CharField(max_length=255)
    list_name = models.CharField(max_length=100, blank=True)
    state = models.CharField(max_length=16, choices=State.choices, default=State.DRAFT)
    total = models.PositiveIntegerField(default=0)
    queued = models.PositiveIntegerField(default=0)
    skipped = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(default=timezone.now)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("campaign")
        verbose_name_plural = _("campaigns")

    def __str__(self) -> str:
        return self.name

    def stats(self) -> dict[str, int]:
        """Messages of this campaign counted by status."""
        rows = self.outboundemail_set.values_list("status").annotate(n=models.Count("id"))
        return dict(rows)


class DatabaseNotification(models.Model):
    """A notification in a user's inbox (the ``database`` channel)."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, related_name="forge_notifications", on_delete=models.CASCADE
    )
    kind = models.CharField(max_length=255)
    data = models.JSONField(default=dict)
    read_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("notification")
        verbose_name_plural = _("notifications")
        indexes = [models.Index(fields=["user", "read_at"], name="forge_notif_user_read")]

    def __str__(self) -> str:
        return f"{self.kind} for {self.user_id}"

    @property
    def is_read(self) -> bool:
        return self.read_at is not None


class NotificationDelivery(models.Model):
    """One channel's delivery of one notification to one recipient, with its status."""

    class State(models.TextChoices):
        PENDING = "pending", _("pending")
        SENT = "sent", _("sent")
        FAILED = "failed", _("failed")
        SKIPPED = "skipped", _("skipped")

    kind = models.CharField(max_length=255)
    channel = models.CharField(max_length=50)
    recipient = models.CharField(max_length=255, help_text=_("'app_label.model:pk' or a route."))
    payload = models.JSONField(default=dict, help_text=_("The notification's arguments."))
    dedup_key = models.CharField(max_length=64, db_index=True)
    state = models.CharField(max_length=16, choices=State.choices, default=State.PENDING)
    attempts = models.PositiveIntegerField(default=0)
    last_error = models.TextField(blank=True)
    fallback_of = models.ForeignKey(
        "self", null=True, blank=True, related_name="fallbacks", on_delete=models.SET_NULL
    )
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("notification delivery")
        verbose_name_plural = _("notification deliveries")
        indexes = [models.Index(fields=["dedup_key", "created_at"], name="forge_notif_dedup")]

    def __str__(self) -> str:
        return f"{self.kind} via {self.channel} to {self.recipient}: {self.state}"


class NotificationPreference(models.Model):
    """A user's choice to receive (or not) one kind of notification on one channel."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE)
    kind = models.CharField(max_length=255, help_text=_("Notification class path, or '*'."))
    channel = models.CharField(max_length=50)
    enabled = models.BooleanField(default=True)

    class Meta:
        ordering = ["user", "kind", "channel"]
        verbose_name = _("notification preference")
        verbose_name_plural = _("notification preferences")
        constraints = [
            models.UniqueConstraint(
                fields=["user", "kind", "channel"], name="forge_notif_pref_uniq"
            )
        ]

    def __str__(self) -> str:
        return f"{self.user_id} {self.kind}/{self.channel}: {'on' if self.enabled else 'off'}"
