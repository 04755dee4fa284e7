"""Errors raised by forge_suite.mailer."""

from __future__ import annotations

from django.core.exceptions import ImproperlyConfigured

from forge_suite.core.exceptions import ForgeError


class MailerError(ForgeError):
    """Base class of every error raised by forge_suite.mailer."""


class MailerDoesNotExist(MailerError, ImproperlyConfigured):
    """No mailer is configured under the requested alias."""


class InvalidMailable(MailerError, ValueError):
    """A Mailable cannot be rendered: no recipient, no content, a missing attachment..."""


class AllMailersFailed(MailerError, ConnectionError):
    """Every mailer of a failover list failed; the message lists each error."""


class InvalidToken(MailerError, ValueError):
    """An unsubscribe, click or preferences token was tampered with or has expired."""


class NotificationError(MailerError):
    """A notification channel failed to deliver."""


class PermanentFailure(NotificationError):
    """A failure that retrying cannot fix (such as a webhook endpoint answering 410 Gone)."""
