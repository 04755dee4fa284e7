"""The transactional outbox: delivery rows written with the change, delivered after commit.

Dispatchers claim due rows with ``SELECT ... FOR UPDATE SKIP LOCKED`` (PostgreSQL; a
conditional UPDATE with a claim token elsewhere) and push their lease into the future, so a
dispatcher that dies mid-delivery only delays the message. A failed delivery is retried after
an exponential backoff with jitter, and becomes a dead letter after ``max_attempts``; dead
letters are retried from the admin or with :func:`retry`. Delivery is at least once, so each
message carries the event id and handlers use :func:`once` to act only once.
"""

from __future__ import annotations

import logging
import random
import traceback
import uuid
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from django.db import IntegrityError, connections, transaction
from django.db.models import F, QuerySet
from django.utils import timezone

from forge_suite.core.metrics import metrics
from forge_suite.eventstore import signals
from forge_suite.eventstore.conf import app_settings
from forge_suite.eventstore.events import Event
from forge_suite.eventstore.exceptions import EventStoreError

__all__ = [
    "DeliveryReport",
    "OutboxItem",
    "backoff_delay",
    "enqueue",
    "once",
    "process_outbox",
    "register_action",
    "retry",
]

logger = logging.getLogger("forge_suite.eventstore.outbox")

#: Delivery functions by message kind: ``fn(message)`` raises to fail the attempt.
ACTIONS: dict[str, Callable[[Any], None]] = {}


def register_action(kind: str, fn: Callable[[Any], None]) -> None:
    """Make ``fn(message)`` deliver outbox messages of ``kind`` (the mail extension point)."""
    ACTIONS[kind] = fn


@dataclass(frozen=True)
class OutboxItem:
    """A message to write to the outbox in the current transaction."""

    kind: str
    target: str
    event_id: uuid.UUID
    event_type: str
    payload: Mapping[str, Any]
    max_attempts: int | None = None


@dataclass
class DeliveryReport:
    """What one dispatcher round did."""

    delivered: int = 0
    retried: int = 0
    dead: int = 0

    @property
    def claimed(self) -> int:
        return self.delivered + self.retried + self.dead


def event_payload(event: Event, metadata: Mapping[str, Any]) -> dict[str, Any]:
    return {
        "type": event.event_type,
        "schema_version": event.schema_version,
        "data": event.to_data(),
        "metadata": dict(metadata),
    }


def _model() -> Any:
    from forge_suite.eventstore.models import OutboxMessage

    return OutboxMessage


def enqueue(items: Sequence[OutboxItem], using: str = "default") -> list[int]:
    """Write ``items`` in the current transaction; they are kicked off after it commits."""
    model = _model()
    rows = model.objects.using(using).bulk_create(
        [
            model(
                kind=item.kind,
                target=item.target,
                event_id=item.event_id,
                event_type=item.event_type,
                payload=dict(item.payload),
                max_attempts=item.max_attempts or app_settings.OUTBOX_MAX_ATTEMPTS,
            )
            for item in items
        ]
    )
    ids = [row.pk for row in rows if row.pk is not None]
    if ids and app_settings.DISPATCH_ON_COMMIT:
        transaction.on_commit(lambda: kick(ids, using), using=using, robust=True)
    return ids


def kick(ids: list[int], using: str = "default") -> None:
    """Deliver just-committed messages now: in-process when jobs are eager, else on a worker."""
    from forge_suite.core.celery import is_eager

    if is_eager():
        process_outbox(ids=ids, using=using)
        return
    from forge_suite.core.celery import get_celery_app

    try:
        # By name: the task module imports this one (it is loaded by the app's ready()).
        get_celery_app().send_task("forge_eventstore.deliver_outbox", args=[ids, using])
    except Exception:  # the broker is down: the worker's dispatcher delivers them later
        logger.warning("could not queue outbox delivery of %s; the dispatcher will", ids)


def backoff_delay(attempt: int) -> float:
    """Seconds to wait after failed ``attempt`` (1-based): doubling from OUTBOX_BACKOFF, capped,
    with "equal jitter" (between half and all of it) so retries of a burst spread out."""
    base = float(app_settings.OUTBOX_BACKOFF) * 2 ** max(attempt - 1, 0)
    delay = min(base, float(app_settings.OUTBOX_BACKOFF_MAX))
    return random.uniform(delay / 2, delay)


def claim(
    limit: int | None = None, ids: Iterable[int] | None = None, using: str = "default"
) -> list[Any]:
    """Claim due messages for this dispatcher: attempts + 1 and a lease, atomically."""
    model = _model()
    limit = limit or app_settings.OUTBOX_BATCH
    now = timezone.now()
    lease = now + timedelta(seconds=float(app_settings.OUTBOX_LEASE))
    token = uuid.uuid4().hex
    id_list = list(ids) if ids is not None else None
    connection = connections[using]
    with transaction.atomic(using=using):
        if connection.vendor == "postgresql":
            table = model._meta.db_table
            where = "status = 'pending' AND available_at <= %s"
            params: list[Any] = [now]
            if id_list is not None:
                where += " AND id = ANY(%s)"
                params.append(id_list)
            with connection.cursor() as cursor:
                cursor.execute(
                    f"WITH c AS (SELECT id FROM {table} WHERE {where} "
                    "ORDER BY available_at, id LIMIT %s FOR UPDATE SKIP LOCKED) "
                    f"UPDATE {table} o SET attempts = o.attempts + 1, available_at = %s, "
                    "claim_token = %s FROM c WHERE o.id = c.id RETURNING o.id",
                    [*params, limit, lease, token],
                )
                claimed = [row[0] for row in cursor.fetchall()]
        else:
            due = model.objects.using(using).filter(status="pending", available_at__lte=now)
            if id_list is not None:
                due = due.filter(id__in=id_list)
            candidates = list(
                due.order_by("available_at", "id").values_list("id", flat=True)[:limit]
            )
            due.filter(id__in=candidates).update(
                attempts=F("attempts") + 1, available_at=lease, claim_token=token
            )
            claimed = candidates
    return list(model.objects.using(using).filter(id__in=claimed, claim_token=token).order_by("id"))


def process_outbox(
    limit: int | None = None, ids: Iterable[int] | None = None, using: str = "default"
) -> DeliveryReport:
    """Claim one batch of due messages and deliver each; returns what happened."""
    report = DeliveryReport()
    for message in claim(limit, ids, using):
        outcome = deliver(message, using)
        setattr(report, outcome, getattr(report, outcome) + 1)
    return report


def deliver(message: Any, using: str = "default") -> str:
    """Run the action of one claimed message; returns ``delivered``, ``retried`` or ``dead``."""
    model = _model()
    try:
        action = ACTIONS.get(message.kind)
        if action is None:
            raise EventStoreError(f"no outbox action is registered for kind {message.kind!r}")
        action(message)
    except Exception as exc:
        error = "".join(traceback.format_exception_only(exc)).strip()
        outcome = "dead" if message.attempts >= message.max_attempts else "retried"
        metrics().record_delivery_failure(message.kind, outcome)
        mine = model.objects.using(using).filter(pk=message.pk, claim_token=message.claim_token)
        if outcome == "dead":
            mine.update(status="dead", last_error=error, completed_at=timezone.now())
            logger.error("outbox message %s is a dead letter: %s", message.pk, error)
            message.status, message.last_error = "dead", error
            signals.message_dead_lettered.send(sender=model, message=message, error=error)
            return "dead"
        retry_at = timezone.now() + timedelta(seconds=backoff_delay(message.attempts))
        mine.update(last_error=error, available_at=retry_at)
        logger.warning(
            "outbox message %s failed (attempt %s): %s", message.pk, message.attempts, error
        )
        return "retried"
    model.objects.using(using).filter(pk=message.pk, claim_token=message.claim_token).update(
        status="done", completed_at=timezone.now(), last_error=""
    )
    message.status = "done"
    signals.message_delivered.send(sender=model, message=message)
    return "delivered"


def retry(messages: QuerySet[Any] | Iterable[int], using: str = "default") -> int:
    """Make dead or waiting messages due now with a fresh set of attempts; returns how many."""
    model = _model()
    qs = messages if isinstance(messages, QuerySet) else model.objects.filter(id__in=list(messages))
    return int(
        qs.using(using)
        .exclude(status="done")
        .update(status="pending", attempts=0, available_at=timezone.now(), completed_at=None)
    )


def redeliver(messages: QuerySet[Any] | Iterable[int], using: str = "default") -> int:
    """Send delivered (or dead) messages again, e.g. a webhook the receiver lost."""
    model = _model()
    qs = messages if isinstance(messages, QuerySet) else model.objects.filter(id__in=list(messages))
    return int(
        qs.using(using).update(
            status="pending", attempts=0, available_at=timezone.now(), completed_at=None
        )
    )


def once(handler: str, event_id: uuid.UUID | str, using: str = "default") -> bool:
    """Record that ``handler`` acts on ``event_id``: True the first time, False after.

    Call it inside the transaction of the handler's own writes so that the mark and the effect
    commit together (exactly-once effect over at-least-once delivery).
    """
    from forge_suite.eventstore.models import ProcessedMessage

    try:
        with transaction.atomic(using=using):
            ProcessedMessage.objects.using(using).create(handler=handler, event_id=event_id)
    except IntegrityError:
        return False
    return True
