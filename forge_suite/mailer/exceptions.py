"""Errors raised by forge_suite.mailer."""

from __future__ import annotations

from forge_suite.core.exceptions import ForgeError


class MailerError(ForgeError):
    """Base class of every error raised by forge_suite.mailer."""
