"""Mailing lists: the names Mailables and campaigns send to, shown on the preferences page."""

from __future__ import annotations

from forge_suite.mailer.mailable import registry


def known_lists() -> set[str]:
    """Every ``list_name`` declared by a registered Mailable."""
    return {cls.list_name for cls in registry.values() if cls.list_name}
