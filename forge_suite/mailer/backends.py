"""Mailers made of other mailers: failover and round-robin.

Both are ordinary Django email backends, so they are configured like any mailer::

    FORGE = {"MAILER": {"MAILERS": {
        "primary": {"BACKEND": "django.core.mail.backends.smtp.EmailBackend",
                    "OPTIONS": {"host": "smtp1.example.com", "port": 587}},
        "backup": {"BACKEND": "anymail.backends.postmark.EmailBackend"},
        "default": {"BACKEND": "forge_suite.mailer.backends.FailoverBackend",
                    "OPTIONS": {"mailers": ["primary", "backup"]}},
    }}}

The alias that finally sent a message is stored on it as ``message.forge_mailer``.
"""

from __future__ import annotations

import itertools
import threading
from collections.abc import Sequence
from typing import Any

from django.core.mail.backends.base import BaseEmailBackend
from django.core.mail.message import EmailMessage

from forge_suite.mailer.exceptions import AllMailersFailed, MailerDoesNotExist

__all__ = ["FailoverBackend", "RoundRobinBackend", "send_with_failover"]


def send_with_failover(message: EmailMessage, aliases: Sequence[str]) -> str:
    """Send ``message`` through the first alias of ``aliases`` that works; return that alias."""
    from forge_suite.mailer.mailers import get_mailer

    errors: list[str] = []
    for alias in aliases:
        try:
            backend = get_mailer(alias)
        except MailerDoesNotExist:
            raise
        try:
            sent = backend.send_messages([message])
        except Exception as exc:
            errors.append(f"{alias}: {type(exc).__name__}: {exc}")
            continue
        if sent:
            used = getattr(message, "forge_mailer", None)
            # A nested composite mailer already recorded the real leaf alias.
            if used is None or used not in aliases:
                message.forge_mailer = alias  # type: ignore[attr-defined]
            return str(message.forge_mailer)  # type: ignore[attr-defined]
        errors.append(f"{alias}: the backend sent nothing")
    raise AllMailersFailed("every mailer failed: " + "; ".join(errors))


class FailoverBackend(BaseEmailBackend):
    """Try each mailer of ``mailers`` in order until one sends the message."""

    forge_wants_alias = True

    def __init__(
        self, mailers: Sequence[str] = (), fail_silently: bool = False, **kwargs: Any
    ) -> None:
        kwargs.pop("alias", None)
        # fail_silently is kept here, not passed up: Django 6.1's BaseEmailBackend deprecates it.
        super().__init__(**kwargs)
        self.fail_silently = fail_silently
        if not mailers:
            raise MailerDoesNotExist(f"{type(self).__name__} needs OPTIONS['mailers']")
        self.mailers = list(mailers)

    def order(self) -> list[str]:
        return list(self.mailers)

    def send_messages(self, email_messages: Sequence[EmailMessage]) -> int:
        count = 0
        for message in email_messages:
            try:
                send_with_failover(message, self.order())
            except AllMailersFailed:
                if not self.fail_silently:
                    raise
                continue
            count += 1
        return count


class RoundRobinBackend(FailoverBackend):
    """Spread messages over ``mailers`` in turn; a failing mailer passes to the next one."""

    _counters: dict[tuple[str, ...], itertools.count[int]] = {}
    _lock = threading.Lock()

    def order(self) -> list[str]:
        key = tuple(self.mailers)
        with self._lock:
            counter = self._counters.setdefault(key, itertools.count())
            start = next(counter) % len(key)
        return [*key[start:], *key[:start]]
