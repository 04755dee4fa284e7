"""Notifications: one message to a user over the channels its ``via()`` picks.

::

    class OrderShipped(Notification):
        def via(self, user):               # default: the ``channels`` attribute
            return ["mail", "database", "broadcast"]
        def to_mail(self, user):
            return ShippedMail(order=self.kwargs["order_id"])
        def to_database(self, user):
            return {"order": self.kwargs["order_id"]}

    notify(user, OrderShipped(order_id=7))

Each channel gets its own :class:`~forge_suite.mailer.models.NotificationDelivery` row
(pending → sent / failed / skipped), sent by a ``forge_suite.scheduling`` job with retries and
exponential backoff; a failed channel can hand over to ``fallbacks[channel]``. A user's
:class:`~forge_suite.mailer.models.NotificationPreference` rows switch channels off, and an
identical notification inside ``dedup_window`` seconds is dropped.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import logging
import random
from collections.abc import Iterable
from typing import Any, ClassVar

from django.apps import apps
from django.core.serializers.json import DjangoJSONEncoder
from django.db import transaction
from django.db.models import F, Model
from django.utils import timezone
from django.utils.module_loading import import_string

from forge_suite.mailer import signals
from forge_suite.mailer.channels import get_channel
from forge_suite.mailer.conf import app_settings
from forge_suite.mailer.exceptions import NotificationError, PermanentFailure
from forge_suite.mailer.jobs import job
from forge_suite.mailer.mailable import Mailable
from forge_suite.mailer.models import NotificationDelivery, NotificationPreference

__all__ = ["Notification", "deliver_notification", "notify"]

logger = logging.getLogger("forge_suite.mailer")

#: Test hook: ``testing.notification_fake()`` captures instead of delivering.
_fake: Any = None


class Notification:
    """Base class of notifications. Constructor keyword arguments must be JSON-serialisable
    (they are stored with each delivery so a worker can rebuild the notification)."""

    channels: ClassVar[list[str]] = ["database"]
    #: ``{"slack": "mail"}``: when Slack fails for good, send by mail instead.
    fallbacks: ClassVar[dict[str, str]] = {}
    #: Incoming-webhook URLs (``slack``, ``discord``, ``webhook``) when the user has none.
    routes: ClassVar[dict[str, str]] = {}
    dedup_window: ClassVar[float | None] = None

    def __init__(self, **kwargs: Any) -> None:
        self.kwargs = kwargs
        self.webhook_id: str | None = None

    @classmethod
    def kind(cls) -> str:
        return f"{cls.__module__}.{cls.__qualname__}"

    def via(self, recipient: Any) -> list[str]:
        return list(self.channels)

    # -- content per channel ---------------------------------------------------------------
    def to_mail(self, recipient: Any) -> Mailable:
        raise NotificationError(f"{self.kind()} has no to_mail()")

    def to_database(self, recipient: Any) -> dict[str, Any]:
        return dict(self.kwargs)

    def to_broadcast(self, recipient: Any) -> dict[str, Any]:
        return self.to_database(recipient)

    def to_slack(self, recipient: Any) -> dict[str, Any]:
        return {"text": self.summary(recipient)}

    def to_discord(self, recipient: Any) -> dict[str, Any]:
        return {"content": self.summary(recipient)}

    def to_webhook(self, recipient: Any) -> dict[str, Any]:
        return self.to_database(recipient)

    def summary(self, recipient: Any) -> str:
        """One line of text used by the chat channels."""
        return f"{type(self).__name__}: {json.dumps(self.kwargs, cls=DjangoJSONEncoder)}"

    # -- routing ---------------------------------------------------------------------------
    def route_for(self, channel: str, recipient: Any) -> str | None:
        """The URL of ``channel`` for ``recipient``: its ``route_notification_for()`` first."""
        router = getattr(recipient, "route_notification_for", None)
        if router is not None:
            route = router(channel)
            if route:
                return str(route)
        return self.routes.get(channel)

    def webhook_secret(self, recipient: Any) -> str | None:
        router = getattr(recipient, "webhook_secret", None)
        return str(router) if router else None

    def webhook_type(self) -> str:
        return "notification." + "".join(c if c.isalnum() else "_" for c in type(self).__name__)

    def broadcast_channel(self, recipient: Any) -> str:
        return f"private-user.{recipient.pk}"

    def broadcast_event(self) -> str:
        return "notification"

    def dedup_basis(self, recipient: Any) -> str:
        return json.dumps(self.kwargs, cls=DjangoJSONEncoder, sort_keys=True)


def recipient_ref(recipient: Any) -> str:
    """A string that finds ``recipient`` again in a worker."""
    if isinstance(recipient, Model):
        return f"{recipient._meta.label_lower}:{recipient.pk}"
    if isinstance(recipient, str):
        return f"route:{recipient}"
    raise NotificationError(f"cannot notify {recipient!r}: use a model instance or a string")


def load_recipient(ref: str) -> Any:
    kind, _, value = ref.partition(":")
    if kind == "route":
        return value
    model = apps.get_model(kind)
    return model._default_manager.get(pk=value)


def _allowed(recipient: Any, kind: str, channel: str) -> bool:
    if not isinstance(recipient, Model) or not hasattr(recipient, "is_authenticated"):
        return True
    prefs = dict(
        NotificationPreference.objects.filter(
            user_id=recipient.pk, kind__in=[kind, "*"], channel=channel
        ).values_list("kind", "enabled")
    )
    return prefs.get(kind, prefs.get("*", True))


def notify(
    recipients: Any | Iterable[Any], notification: Notification
) -> list[NotificationDelivery]:
    """Send ``notification`` to each recipient on each of its channels; returns the deliveries
    created (channels switched off or deduplicated create none)."""
    if isinstance(recipients, (Model, str)):
        recipients = [recipients]
    if _fake is not None:
        for recipient in recipients:
            _fake.capture(recipient, notification)
        return []
    window = notification.dedup_window
    window = app_settings.NOTIFICATION_DEDUP_SECONDS if window is None else window
    created: list[NotificationDelivery] = []
    kind = notification.kind()
    for recipient in recipients:
        ref = recipient_ref(recipient)
        for channel in notification.via(recipient):
            get_channel(channel)  # unknown names fail here, before anything is stored
            if not _allowed(recipient, kind, channel):
                continue
            basis = f"{kind}|{ref}|{channel}|{notification.dedup_basis(recipient)}"
            key = hashlib.sha256(basis.encode()).hexdigest()
            since = timezone.now() - dt.timedelta(seconds=window)
            if (
                window
                and NotificationDelivery.objects.filter(
                    dedup_key=key, created_at__gte=since
                ).exists()
            ):
                continue
            created.append(
                NotificationDelivery.objects.create(
                    kind=kind,
                    channel=channel,
                    recipient=ref,
                    payload=notification.kwargs,
                    dedup_key=key,
                )
            )
    for delivery in created:
        _dispatch(delivery.pk)
    return created


def _dispatch(pk: int, delay: float | None = None) -> None:
    def run() -> None:
        try:
            deliver_notification.dispatch_with([pk], delay=delay)
        except Exception as exc:  # the row keeps its state; the error is recorded
            logger.warning("notification %s not dispatched: %s", pk, exc)
            NotificationDelivery.objects.filter(pk=pk).update(last_error=str(exc))

    transaction.on_commit(run)


def _backoff(attempt: int) -> float:
    return random.uniform(0, min(60.0, 2.0 ** (attempt - 1)))


@job(name="forge_mailer.deliver_notification", max_retries=0)
def deliver_notification(pk: int) -> str:
    """Deliver one channel of one notification; on failure retry with backoff, then fall back."""
    updated = NotificationDelivery.objects.filter(
        pk=pk, state=NotificationDelivery.State.PENDING
    ).update(attempts=F("attempts") + 1)
    if not updated:
        return "done"
    delivery = NotificationDelivery.objects.get(pk=pk)
    cls = import_string(delivery.kind)
    notification: Notification = cls(**delivery.payload)
    notification.webhook_id = f"{pk}"
    try:
        recipient = load_recipient(delivery.recipient)
        get_channel(delivery.channel).send(notification, recipient)
    except Exception as exc:
        error = f"{type(exc).__name__}: {exc}"
        permanent = isinstance(exc, PermanentFailure)
        if not permanent and delivery.attempts < app_settings.NOTIFICATION_MAX_ATTEMPTS:
            NotificationDelivery.objects.filter(pk=pk).update(last_error=error)
            _dispatch(pk, delay=_backoff(delivery.attempts))
            return "retry"
        NotificationDelivery.objects.filter(pk=pk).update(
            state=NotificationDelivery.State.FAILED, last_error=error
        )
        delivery.state = NotificationDelivery.State.FAILED
        signals.notification_delivered.send(
            NotificationDelivery, delivery=delivery, notification=notification
        )
        fallback = notification.fallbacks.get(delivery.channel)
        if fallback:
            spare = NotificationDelivery.objects.create(
                kind=delivery.kind,
                channel=fallback,
                recipient=delivery.recipient,
                payload=delivery.payload,
                dedup_key=delivery.dedup_key,
                fallback_of=delivery,
            )
            _dispatch(spare.pk)
        return "failed"
    NotificationDelivery.objects.filter(pk=pk).update(
        state=NotificationDelivery.State.SENT, last_error=""
    )
    delivery.state = NotificationDelivery.State.SENT
    signals.notification_delivered.send(
        NotificationDelivery, delivery=delivery, notification=notification
    )
    return "sent"
