"""Tracking: anymail's normalised webhook events, and our own open pixel / click links.

``include("anymail.urls")`` receives the ESP's webhooks (authenticated by anymail); each
normalised event is recorded on its outbox row (matched by the provider's message id), moves
its status forward, suppresses the address on a hard bounce or complaint, and is announced with
:data:`forge_suite.mailer.signals.message_event`.
"""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.utils import timezone

from forge_suite.core.metrics import metrics
from forge_suite.mailer import signals
from forge_suite.mailer.batching import address_of
from forge_suite.mailer.models import PROGRESS, EmailEvent, OutboundEmail, Status, Suppression

__all__ = ["connect", "record_event"]

_STATUS_OF = {
    "delivered": Status.DELIVERED,
    "opened": Status.OPENED,
    "clicked": Status.CLICKED,
    "bounced": Status.BOUNCED,
    "complained": Status.COMPLAINED,
    "rejected": Status.FAILED,
    "failed": Status.FAILED,
}


def connect() -> None:
    """Listen to anymail's tracking signal (called from the app's ready())."""
    try:
        from anymail.signals import tracking
    except ImportError:  # pragma: no cover - anymail is the mailer extra
        return
    tracking.connect(_on_anymail_event, dispatch_uid="forge_suite.mailer.tracking")


def _on_anymail_event(sender: Any, event: Any, esp_name: str, **kwargs: Any) -> None:
    record_event(
        event.event_type,
        provider_message_id=event.message_id,
        recipient=event.recipient or "",
        esp_name=esp_name,
        event_id=event.event_id or "",
        timestamp=event.timestamp,
        reject_reason=event.reject_reason or "",
        description=event.description or "",
        click_url=event.click_url or "",
        raw=event.esp_event if isinstance(event.esp_event, dict) else {},
    )


def record_event(
    event_type: str,
    *,
    provider_message_id: str | None = None,
    message: OutboundEmail | None = None,
    recipient: str = "",
    esp_name: str = "",
    event_id: str = "",
    timestamp: Any = None,
    reject_reason: str = "",
    description: str = "",
    click_url: str = "",
    raw: dict[str, Any] | None = None,
) -> EmailEvent:
    """Store one event, move its message's status forward, suppress on hard bounce/complaint.

    An event the ESP sends again (same ``esp_name``, ``event_id`` and type: webhook retries) is
    recorded once; the earlier row is returned and no signal is sent again.
    """
    if event_id:
        earlier = EmailEvent.objects.filter(
            esp_name=esp_name, event_id=event_id, event_type=event_type
        ).first()
        if earlier is not None:
            return earlier
    with transaction.atomic():
        if message is None and provider_message_id:
            message = _message_of(str(provider_message_id), recipient)
        event = EmailEvent.objects.create(
            message=message,
            event_type=event_type,
            esp_name=esp_name,
            event_id=event_id,
            recipient=recipient,
            reject_reason=reject_reason,
            description=description[:2000],
            click_url=click_url[:2000],
            timestamp=timestamp or timezone.now(),
            raw=raw or {},
        )
        new = _STATUS_OF.get(event_type)
        if message is not None and new is not None and _moves_forward(message.status, new):
            OutboundEmail.objects.filter(pk=message.pk).update(status=new)
            message.status = new
        hard = event_type == "bounced" or (event_type == "rejected" and reject_reason == "bounced")
        if recipient and (hard or event_type == "complained"):
            reason = Suppression.Reason.COMPLAINED if event_type == "complained" else "bounced"
            Suppression.objects.get_or_create(
                email=recipient.lower(), defaults={"reason": reason, "detail": description[:500]}
            )
    if new is not None:
        provider = (message.mailer_used if message else "") or esp_name or "unknown"
        metrics().record_mail(provider, str(new))
    signals.message_event.send(OutboundEmail, message=message, event=event, esp_name=esp_name)
    return event


def _message_of(provider_message_id: str, recipient: str) -> OutboundEmail | None:
    """The message an ESP event is about (locked). An ESP batch send (Mailgun's) gives all its
    recipients one id: the recipient then tells the rows apart."""
    found = list(
        OutboundEmail.objects.select_for_update()
        .filter(provider_message_id=provider_message_id)
        .order_by("pk")[:1000]
    )
    if len(found) > 1 and recipient:
        wanted = recipient.lower()
        for candidate in found:
            if any(address_of(a).lower() == wanted for a in candidate.to):
                return candidate
    return found[0] if found else None


def _moves_forward(current: str, new: str) -> bool:
    order = [str(s) for s in PROGRESS]
    if new in order and current in order:
        return order.index(new) > order.index(current)
    if current in (Status.BOUNCED, Status.COMPLAINED):
        return new == Status.COMPLAINED and current != new
    return current != new
