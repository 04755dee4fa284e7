"""Tables of the event store, the outbox, projection checkpoints and webhooks."""

from __future__ import annotations

import uuid
from typing import Any

from django.core.serializers.json import DjangoJSONEncoder
from django.db import models
from django.utils import timezone

from forge_suite.eventstore.exceptions import ImmutableEventError


class StoredEventQuerySet(models.QuerySet["StoredEvent"]):
    """Reads only: updating or deleting stored events is refused."""

    def update(self, **kwargs: Any) -> int:
        raise ImmutableEventError("stored events are append-only; they cannot be updated")

    def delete(self) -> tuple[int, dict[str, int]]:
        raise ImmutableEventError("stored events are append-only; they cannot be deleted")


class StoredEvent(models.Model):
    """One event of one stream; rows are only ever inserted (see ``store.append``).

    ``id`` is the global position. On PostgreSQL ``transaction_id`` is the writing transaction's
    id (``pg_current_xact_id()``): readers of the global order only read rows of transactions
    older than every running one, so an event that commits late is never skipped.
    """

    id = models.BigAutoField(primary_key=True, verbose_name="global position")
    event_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    stream_id = models.CharField(max_length=255)
    version = models.PositiveIntegerField()
    type = models.CharField(max_length=200)
    schema_version = models.PositiveSmallIntegerField(default=1)
    data = models.JSONField(encoder=DjangoJSONEncoder)
    metadata = models.JSONField(encoder=DjangoJSONEncoder, default=dict)
    recorded_at = models.DateTimeField(default=timezone.now)
    transaction_id = models.BigIntegerField(default=0)

    objects = StoredEventQuerySet.as_manager()

    class Meta:
        ordering = ["transaction_id", "id"]
        verbose_name = "stored event"
        constraints = [
            models.UniqueConstraint(fields=["stream_id", "version"], name="forge_es_stream_version")
        ]
        indexes = [
            models.Index(fields=["transaction_id", "id"], name="forge_es_global_order"),
        ]

    def __str__(self) -> str:
        return f"{self.stream_id}@{self.version} {self.type}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if not self._state.adding:
            raise ImmutableEventError("stored events are append-only; they cannot be updated")
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> tuple[int, dict[str, int]]:
        raise ImmutableEventError("stored events are append-only; they cannot be deleted")


class Snapshot(models.Model):
    """The state of an aggregate at one version, so loading replays only the events after it."""

    stream_id = models.CharField(max_length=255)
    version = models.PositiveIntegerField()
    type = models.CharField(max_length=200)
    state = models.JSONField(encoder=DjangoJSONEncoder)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["stream_id", "-version"]
        constraints = [
            models.UniqueConstraint(fields=["stream_id", "version"], name="forge_es_snapshot_ver")
        ]

    def __str__(self) -> str:
        return f"snapshot {self.stream_id}@{self.version}"


class OutboxMessage(models.Model):
    """One delivery of one event to one queued listener or observer action.

    Written in the same transaction as the change it announces; dispatchers claim rows with
    ``SELECT ... FOR UPDATE SKIP LOCKED`` (PostgreSQL), so a crash between commit and delivery
    loses nothing. Delivery is at least once: handlers deduplicate on ``event_id``.
    """

    class Status(models.TextChoices):
        PENDING = "pending", "pending"
        DONE = "done", "done"
        DEAD = "dead", "dead letter"

    event_id = models.UUIDField(db_index=True)
    event_type = models.CharField(max_length=200)
    kind = models.CharField(max_length=20, help_text="listener, webhook, broadcast, log, mail...")
    target = models.CharField(max_length=300, help_text="listener path or action name")
    payload = models.JSONField(encoder=DjangoJSONEncoder)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveIntegerField(default=0)
    max_attempts = models.PositiveIntegerField(default=8)
    available_at = models.DateTimeField(default=timezone.now)
    last_error = models.TextField(blank=True)
    claim_token = models.CharField(max_length=32, blank=True, editable=False)
    created_at = models.DateTimeField(default=timezone.now)
    completed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["id"]
        verbose_name = "outbox message"
        indexes = [
            models.Index(
                fields=["available_at", "id"],
                name="forge_es_outbox_due",
                condition=models.Q(status="pending"),
            ),
            models.Index(fields=["status", "kind"], name="forge_es_outbox_status"),
        ]

    def __str__(self) -> str:
        return f"{self.kind}:{self.target} ({self.event_type}, {self.status})"


class ProcessedMessage(models.Model):
    """Marks that a handler has acted on an event id (see ``outbox.once``)."""

    handler = models.CharField(max_length=300)
    event_id = models.UUIDField()
    processed_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-id"]
        constraints = [
            models.UniqueConstraint(fields=["handler", "event_id"], name="forge_es_processed_once")
        ]

    def __str__(self) -> str:
        return f"{self.handler} {self.event_id}"


class ProjectionCheckpoint(models.Model):
    """How far a projection has read the global order: the (transaction id, position) pair."""

    name = models.CharField(max_length=200, unique=True)
    transaction_id = models.BigIntegerField(default=0)
    position = models.BigIntegerField(default=0)
    events_processed = models.BigIntegerField(default=0)
    last_error = models.TextField(blank=True)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["name"]
        verbose_name = "projection"

    def __str__(self) -> str:
        return f"{self.name} @ {self.position}"


class WebhookEndpoint(models.Model):
    """A receiver of signed webhooks (Standard Webhooks); one secret per endpoint."""

    name = models.SlugField(max_length=100, unique=True)
    url = models.URLField(max_length=500)
    secret = models.CharField(max_length=200, help_text="whsec_ followed by base64 bytes")
    event_types = models.JSONField(default=list, blank=True, help_text="empty means all types")
    is_active = models.BooleanField(default=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class WebhookAttempt(models.Model):
    """The delivery log: one row per HTTP attempt of one outbox message."""

    message = models.ForeignKey(
        OutboxMessage, on_delete=models.CASCADE, related_name="attempts_log"
    )
    endpoint = models.CharField(max_length=100)
    url = models.CharField(max_length=500)
    attempt = models.PositiveIntegerField()
    status_code = models.PositiveIntegerField(null=True, blank=True)
    ok = models.BooleanField(default=False)
    error = models.TextField(blank=True)
    response_body = models.TextField(blank=True)
    duration_ms = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-id"]
        indexes = [models.Index(fields=["endpoint", "created_at"], name="forge_es_wh_attempts")]

    def __str__(self) -> str:
        return f"{self.endpoint} #{self.attempt} {self.status_code or self.error[:40]}"
