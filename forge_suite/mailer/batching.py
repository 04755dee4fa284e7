"""ESP batch sending for campaigns: one API call carries a batch of recipients, and the ESP
sends each of them a message of their own (anymail's ``merge_data``), filling in the personal
values from its merge tags. No recipient sees another's address.

A Mailable opts in by naming the context keys that differ per recipient::

    class Newsletter(Mailable):
        list_name = "news"
        merge_fields = ("first_name",)

When a campaign goes through an ESP whose inline merge tags are known (below, or the
``BATCH_MERGE_TAGS`` setting), each batch is rendered once per language with the merge fields,
``recipient.name``/``recipient.email`` and the unsubscribe links written as merge tags; every
recipient still gets an outbox row of its own (status, events, suppression, resends), with its
values in ``merge_data`` and its ``List-Unsubscribe`` header sent through ``merge_headers``.
Other mailers (SMTP, ESPs without inline merge tags such as Postmark or Amazon SES) get one
rendered message per recipient, as before.
"""

from __future__ import annotations

from dataclasses import dataclass
from email.utils import parseaddr
from typing import Any

from django.utils.html import escape

from forge_suite.mailer.conf import app_settings
from forge_suite.mailer.mailers import get_mailer

__all__ = [
    "MERGE_TAGS",
    "MergeRecipient",
    "address_of",
    "esp_extra",
    "fill",
    "merge_tag_format",
    "merge_values",
]

#: How each ESP writes a merge field in inline (not stored-template) content, by anymail's
#: ``esp_name``.
MERGE_TAGS: dict[str, str] = {
    "Mailgun": "%recipient.{}%",
    "Mandrill": "*|{}|*",
    "SendGrid": "-{}-",
    "SparkPost": "{{{{{}}}}}",
}

#: Headers that differ per recipient: sent through anymail's ``merge_headers``.
PERSONAL_HEADERS = ("List-Unsubscribe", "List-Unsubscribe-Post")

#: Keys every batch-rendered message fills per recipient, besides the Mailable's own.
BUILT_IN_FIELDS = ("recipient_name", "recipient_email", "unsubscribe_url", "preferences_url")


def _formats() -> dict[str, str]:
    return {**MERGE_TAGS, **dict(app_settings.BATCH_MERGE_TAGS or {})}


def esp_name(alias: str) -> str | None:
    try:
        backend = get_mailer(alias)
    except Exception:
        return None
    name = getattr(backend, "esp_name", None)
    return str(name) if name else None


def merge_tag_format(alias: str) -> str | None:
    """The merge-tag format of mailer ``alias``, or None when it cannot batch-send."""
    name = esp_name(alias)
    return _formats().get(name) if name else None


def esp_extra(alias: str) -> dict[str, Any] | None:
    """What mailer ``alias``'s ESP must be told with a batch send (SendGrid takes the tag
    delimiters), or None when the mailer cannot batch-send."""
    name = esp_name(alias)
    if name is None or name not in _formats():
        return None
    return {"merge_field_format": MERGE_TAGS["SendGrid"]} if name == "SendGrid" else {}


@dataclass(frozen=True)
class MergeRecipient:
    """Stands in for ``recipient`` in a batch-rendered template: its parts are merge tags."""

    name: str
    email: str

    def formatted(self) -> str:
        return self.email

    def __str__(self) -> str:
        return self.email


def address_of(value: str) -> str:
    """The address part of ``Ann <ann@example.com>``, as anymail keys ``merge_data``."""
    return parseaddr(value)[1] or value


def merge_values(merge_data: dict[str, Any], *, html: bool) -> dict[str, str]:
    """A row's values for the ESP. ESPs put merge values into every part as they are, so
    for a batch they are HTML-escaped (``<``, ``&`` and quotes show as entities in the text
    part; never markup in the HTML one)."""
    values = {k: str(v) for k, v in dict(merge_data.get("values") or {}).items()}
    return {k: str(escape(v)) for k, v in values.items()} if html else values


def fill(text: str, merge_data: dict[str, Any], *, html: bool = False) -> str:
    """``text`` with a row's merge tags replaced by its values: how a batch row is sent on
    its own (a retry, ``send_queued()``, a mailer without batch sending)."""
    tag = str(merge_data.get("tag") or "")
    if not tag:
        return text
    for name, value in merge_values(merge_data, html=html).items():
        text = text.replace(tag.format(name), value)
    return text
