"""Notifications used by the mailer tests."""

from __future__ import annotations

from typing import Any

from forge_suite.mailer import Mailable, Notification
from tests.mailer.mailables import Welcome

WEBHOOK_SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"


class OrderPlaced(Notification):
    channels = ["mail", "database", "broadcast", "slack"]

    def to_mail(self, recipient: Any) -> Mailable:
        return Welcome(name=f"order {self.kwargs['order']}")

    def summary(self, recipient: Any) -> str:
        return f"Order {self.kwargs['order']} placed by {recipient.username}"


class Ping(Notification):
    """Goes to a generic webhook signed per Standard Webhooks, Discord as fallback."""

    channels = ["webhook"]
    fallbacks = {"webhook": "discord"}

    def webhook_secret(self, recipient: Any) -> str | None:
        return WEBHOOK_SECRET
