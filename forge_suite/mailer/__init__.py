"""Mailables, an outbox with exactly-once queued sending, mailer aliases with failover,
tracking, suppression, one-click unsubscribe, campaigns and notifications.

Public API::

    from forge_suite.mailer import Mailable, Attachment, get_mailer, Notification, notify
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from forge_suite.core.exports import lazy_dir, lazy_exports

__all__ = [
    "Address",
    "Attachment",
    "Mailable",
    "Notification",
    "get_mailer",
    "notify",
    "send_campaign",
    "send_queued",
]

if TYPE_CHECKING:
    from forge_suite.mailer.campaigns import send_campaign
    from forge_suite.mailer.mailable import Mailable
    from forge_suite.mailer.mailers import get_mailer
    from forge_suite.mailer.notifications import Notification, notify
    from forge_suite.mailer.outbox import send_queued
    from forge_suite.mailer.parts import Address, Attachment

_EXPORTS = {
    "Address": "forge_suite.mailer.parts",
    "Attachment": "forge_suite.mailer.parts",
    "Mailable": "forge_suite.mailer.mailable",
    "get_mailer": "forge_suite.mailer.mailers",
    "Notification": "forge_suite.mailer.notifications",
    "notify": "forge_suite.mailer.notifications",
    "send_campaign": "forge_suite.mailer.campaigns",
    "send_queued": "forge_suite.mailer.outbox",
}

__getattr__ = lazy_exports(__name__, _EXPORTS)
__dir__ = lazy_dir(__name__, _EXPORTS)
