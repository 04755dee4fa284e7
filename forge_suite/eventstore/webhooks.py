"""Webhooks signed per Standard Webhooks 1.0 and delivered through the outbox.

Each message has a ``webhook-id`` that stays the same on every retry (the receiver's
idempotency key), a ``webhook-timestamp`` of the attempt and a ``webhook-signature`` of
``v1,`` + base64(HMAC-SHA256(secret bytes, "{id}.{timestamp}.{body}")). Secrets are shown as
``whsec_`` + base64. Any 2xx is success; redirects are not followed; ``410 Gone`` disables the
endpoint. Every attempt is logged in :class:`WebhookAttempt`.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from django.core.serializers.json import DjangoJSONEncoder
from django.utils import timezone

from forge_suite.core.metrics import metrics
from forge_suite.eventstore import signals
from forge_suite.eventstore.conf import app_settings
from forge_suite.eventstore.exceptions import WebhookError
from forge_suite.eventstore.outbox import OutboxItem, enqueue, register_action

__all__ = ["Endpoint", "generate_secret", "send_webhook", "sign"]

PREFIX = "whsec_"


def generate_secret(size: int = 32) -> str:
    """A new random endpoint secret in the ``whsec_`` form."""
    return PREFIX + base64.b64encode(secrets.token_bytes(size)).decode()


def secret_bytes(secret: str) -> bytes:
    """The HMAC key of a ``whsec_`` secret (the decoded bytes, not the string)."""
    raw = secret[len(PREFIX) :] if secret.startswith(PREFIX) else secret
    try:
        return base64.b64decode(raw + "=" * (-len(raw) % 4), validate=True)
    except ValueError as exc:
        raise WebhookError("a webhook secret must be whsec_ followed by base64") from exc


def sign(secret: str, msg_id: str, timestamp: int, body: bytes) -> str:
    """The ``webhook-signature`` header value (``v1,<base64>``) for these exact bytes."""
    content = f"{msg_id}.{timestamp}.".encode() + body
    digest = hmac.new(secret_bytes(secret), content, hashlib.sha256).digest()
    return "v1," + base64.b64encode(digest).decode()


@dataclass(frozen=True)
class Endpoint:
    name: str
    url: str
    secret: str
    event_types: tuple[str, ...] = ()
    model_pk: int | None = None

    def wants(self, event_type: str) -> bool:
        return not self.event_types or event_type in self.event_types


def endpoint(name: str) -> Endpoint:
    """An active endpoint from the admin's table, else from ``WEBHOOK_ENDPOINTS``."""
    from forge_suite.eventstore.models import WebhookEndpoint

    row = WebhookEndpoint.objects.filter(name=name).first()
    if row is not None:
        if not row.is_active:
            raise WebhookError(f"webhook endpoint {name!r} is disabled")
        return Endpoint(row.name, row.url, row.secret, tuple(row.event_types or ()), row.pk)
    conf = app_settings.WEBHOOK_ENDPOINTS.get(name)
    if conf is None:
        raise WebhookError(f"no webhook endpoint is named {name!r}")
    return Endpoint(name, conf["url"], conf["secret"], tuple(conf.get("event_types", ())))


def send_webhook(
    endpoint_name: str,
    event_type: str,
    data: Mapping[str, Any],
    *,
    event_id: uuid.UUID | None = None,
    max_attempts: int | None = None,
) -> uuid.UUID:
    """Queue a webhook in the current transaction; returns the event id (``webhook-id``)."""
    event_id = event_id or uuid.uuid4()
    payload = {"type": event_type, "timestamp": timezone.now().isoformat(), "data": dict(data)}
    enqueue([OutboxItem("webhook", endpoint_name, event_id, event_type, payload, max_attempts)])
    return event_id


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None  # a 3xx is a failure: the owner should update the URL


_opener = urllib.request.build_opener(_NoRedirect)


def _deliver(message: Any) -> None:
    from forge_suite.eventstore.models import WebhookAttempt, WebhookEndpoint

    target = endpoint(message.target)
    if not target.wants(message.event_type):
        return
    msg_id = f"msg_{message.event_id.hex}"
    body = json.dumps(message.payload, cls=DjangoJSONEncoder, separators=(",", ":")).encode()
    timestamp = int(time.time())
    request = urllib.request.Request(
        target.url,
        data=body,
        method="POST",
        headers={
            "content-type": "application/json",
            "user-agent": "forge-suite-webhooks",
            "webhook-id": msg_id,
            "webhook-timestamp": str(timestamp),
            "webhook-signature": sign(target.secret, msg_id, timestamp, body),
        },
    )
    started = time.monotonic()
    status, text, error = None, "", ""
    try:
        with _opener.open(request, timeout=float(app_settings.WEBHOOK_TIMEOUT)) as response:
            status, text = response.status, response.read(2000).decode("utf-8", "replace")
    except urllib.error.HTTPError as exc:
        status, text = exc.code, exc.read(2000).decode("utf-8", "replace")
        error = f"HTTP {exc.code}"
    except (urllib.error.URLError, OSError) as exc:
        error = f"{type(exc).__name__}: {getattr(exc, 'reason', exc)}"
    ok = status is not None and 200 <= status < 300
    attempt = WebhookAttempt.objects.create(
        message=message,
        endpoint=target.name,
        url=target.url,
        attempt=message.attempts,
        status_code=status,
        ok=ok,
        error=error,
        response_body=text,
        duration_ms=int((time.monotonic() - started) * 1000),
    )
    signals.webhook_attempted.send(sender=WebhookAttempt, attempt=attempt)
    if status == 410 and target.model_pk is not None:
        WebhookEndpoint.objects.filter(pk=target.model_pk).update(is_active=False)
    if not ok:
        metrics().record_webhook_failure(target.name, str(status) if status else "network")
        raise WebhookError(f"webhook {target.name} to {target.url} failed: {error or status}")


register_action("webhook", _deliver)
