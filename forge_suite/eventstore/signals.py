"""Signals of forge_suite.eventstore."""

from __future__ import annotations

from django.dispatch import Signal

#: Events were appended to a stream (sent after the append, inside the caller's transaction).
#: Arguments: ``stream_id`` (str), ``events`` (list of RecordedEvent).
events_appended = Signal()

#: An outbox message was delivered. Arguments: ``message`` (OutboxMessage).
message_delivered = Signal()

#: An outbox message failed its last attempt and became a dead letter.
#: Arguments: ``message`` (OutboxMessage), ``error`` (str).
message_dead_lettered = Signal()

#: A projection applied a batch.
#: Arguments: ``name`` (str), ``count`` (int), ``position`` (Position).
projection_advanced = Signal()

#: A webhook attempt finished. Arguments: ``attempt`` (WebhookAttempt).
webhook_attempted = Signal()
