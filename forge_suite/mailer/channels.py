"""Notification channels: mail, database inbox, realtime broadcast, Slack, Discord, webhook.

A channel is a class with a ``name`` and ``send(notification, recipient)`` that raises on
failure (the delivery is then retried with backoff, and a fallback channel may take over).
SMS and push follow the same interface: register your own with :func:`register_channel`.
"""

from __future__ import annotations

import datetime as dt
import json
import uuid
from typing import Any, ClassVar, Protocol

import requests
from django.core.serializers.json import DjangoJSONEncoder

from forge_suite.mailer.conf import app_settings
from forge_suite.mailer.exceptions import NotificationError, PermanentFailure

__all__ = [
    "BroadcastChannel",
    "Channel",
    "DatabaseChannel",
    "DiscordChannel",
    "MailChannel",
    "SlackChannel",
    "WebhookChannel",
    "get_channel",
    "register_channel",
]


class Notification(Protocol):
    """What a channel uses of a notification (:class:`forge_suite.mailer.Notification`)."""

    webhook_id: str | None

    def kind(self) -> str: ...

    def to_mail(self, recipient: Any) -> Any: ...

    def to_database(self, recipient: Any) -> dict[str, Any]: ...

    def to_broadcast(self, recipient: Any) -> dict[str, Any]: ...

    def to_slack(self, recipient: Any) -> dict[str, Any]: ...

    def to_discord(self, recipient: Any) -> dict[str, Any]: ...

    def to_webhook(self, recipient: Any) -> dict[str, Any]: ...

    def route_for(self, channel: str, recipient: Any) -> str | None: ...

    def webhook_secret(self, recipient: Any) -> str | None: ...

    def webhook_type(self) -> str: ...

    def broadcast_channel(self, recipient: Any) -> str: ...

    def broadcast_event(self) -> str: ...


class Channel:
    """Base class of a channel: ``send`` delivers or raises :class:`NotificationError`."""

    name: ClassVar[str] = ""

    def send(self, notification: Notification, recipient: Any) -> None:
        raise NotImplementedError


class MailChannel(Channel):
    """Sends ``notification.to_mail(recipient)`` (a Mailable) through the outbox, queued."""

    name = "mail"

    def send(self, notification: Notification, recipient: Any) -> None:
        mailable = notification.to_mail(recipient)
        if not mailable.recipients():
            mailable.to(recipient)
        row = mailable.send()
        if row.status == "failed":
            raise NotificationError(f"mail failed: {row.last_error}")


class DatabaseChannel(Channel):
    """Stores ``notification.to_database(recipient)`` in the user's inbox."""

    name = "database"

    def send(self, notification: Notification, recipient: Any) -> None:
        from forge_suite.mailer.models import DatabaseNotification

        DatabaseNotification.objects.create(
            user=recipient, kind=notification.kind(), data=notification.to_database(recipient)
        )


class BroadcastChannel(Channel):
    """Pushes ``to_broadcast(recipient)`` on the user's private realtime channel."""

    name = "broadcast"

    def send(self, notification: Notification, recipient: Any) -> None:
        from forge_suite.realtime import broadcast

        data = {"kind": notification.kind(), **notification.to_broadcast(recipient)}
        broadcast(notification.broadcast_event(), data).to_channel(
            notification.broadcast_channel(recipient)
        )


def post_json(url: str, body: bytes, headers: dict[str, str] | None = None) -> None:
    """POST ``body`` as JSON; any non-2xx answer (redirects included) is a failure."""
    try:
        response = requests.post(
            url,
            data=body,
            headers={"Content-Type": "application/json", **(headers or {})},
            timeout=app_settings.WEBHOOK_TIMEOUT,
            allow_redirects=False,
        )
    except requests.RequestException as exc:
        raise NotificationError(f"POST {url} failed: {exc}") from exc
    if response.status_code == 410:
        # Standard Webhooks: 410 Gone means the endpoint was removed; never retry it.
        raise PermanentFailure(f"POST {url} answered 410 Gone")
    if not 200 <= response.status_code < 300:
        raise NotificationError(f"POST {url} answered {response.status_code}")


def _route(notification: Notification, recipient: Any, channel: str) -> str:
    url = notification.route_for(channel, recipient)
    if not url:
        raise NotificationError(f"no {channel} route for {recipient!r}")
    return url


class SlackChannel(Channel):
    """Posts ``to_slack(recipient)`` (Slack message JSON) to an incoming-webhook URL."""

    name = "slack"

    def send(self, notification: Notification, recipient: Any) -> None:
        body = json.dumps(notification.to_slack(recipient), cls=DjangoJSONEncoder).encode()
        post_json(_route(notification, recipient, self.name), body)


class DiscordChannel(Channel):
    """Posts ``to_discord(recipient)`` (Discord webhook JSON) to an incoming-webhook URL."""

    name = "discord"

    def send(self, notification: Notification, recipient: Any) -> None:
        body = json.dumps(notification.to_discord(recipient), cls=DjangoJSONEncoder).encode()
        post_json(_route(notification, recipient, self.name), body)


class WebhookChannel(Channel):
    """Posts a Standard Webhooks message signed with the route's ``whsec_`` secret."""

    name = "webhook"

    def send(self, notification: Notification, recipient: Any) -> None:
        from standardwebhooks.webhooks import Webhook

        url = _route(notification, recipient, self.name)
        secret = notification.webhook_secret(recipient)
        if not secret:
            raise NotificationError("the webhook channel needs a whsec_ secret")
        now = dt.datetime.now(tz=dt.UTC)
        envelope = {
            "type": notification.webhook_type(),
            "timestamp": now.isoformat(),
            "data": notification.to_webhook(recipient),
        }
        body = json.dumps(envelope, cls=DjangoJSONEncoder, separators=(",", ":"))
        msg_id = f"msg_{notification.webhook_id or uuid.uuid4().hex}"
        signature = Webhook(secret).sign(msg_id, now, body)
        headers = {
            "webhook-id": msg_id,
            "webhook-timestamp": str(int(now.timestamp())),
            "webhook-signature": signature,
        }
        post_json(url, body.encode(), headers)


_CHANNELS: dict[str, type[Channel]] = {
    c.name: c
    for c in (
        MailChannel,
        DatabaseChannel,
        BroadcastChannel,
        SlackChannel,
        DiscordChannel,
        WebhookChannel,
    )
}


def register_channel(channel: type[Channel]) -> type[Channel]:
    """Add a channel class (SMS, push...) under its ``name``; usable as a decorator."""
    if not channel.name:
        raise NotificationError("a channel needs a name")
    _CHANNELS[channel.name] = channel
    return channel


def get_channel(name: str) -> Channel:
    try:
        return _CHANNELS[name]()
    except KeyError:
        raise NotificationError(
            f"unknown notification channel {name!r} (known: {', '.join(sorted(_CHANNELS))})"
        ) from None
