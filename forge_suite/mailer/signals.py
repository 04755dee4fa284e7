"""Signals of forge_suite.mailer."""

from __future__ import annotations

from django.dispatch import Signal

#: Sent after a message left through a mailer. Arguments: ``message`` (OutboundEmail),
#: ``mailer`` (alias actually used).
message_sent = Signal()

#: Sent when a message failed for good. Arguments: ``message``, ``error`` (str).
message_failed = Signal()

#: Sent when a send was skipped because a recipient is suppressed. Arguments: ``message``,
#: ``addresses`` (list of str).
message_suppressed = Signal()

#: Sent for every tracking event recorded on a message. Arguments: ``message`` (OutboundEmail or
#: None when unknown), ``event`` (EmailEvent), ``esp_name`` (str).
message_event = Signal()

#: Sent when an address unsubscribed from a list. Arguments: ``email``, ``list_name``.
unsubscribed = Signal()

#: Sent after each notification channel delivery attempt. Arguments: ``delivery``
#: (NotificationDelivery), ``notification`` (Notification instance).
notification_delivered = Signal()
