"""Test helpers for projects using the mailer, like Laravel's ``Mail::fake()``::

    from forge_suite.mailer.testing import mail_fake, notification_fake

    def test_sign_up(client):
        with mail_fake() as mail:
            client.post("/signup/", {...})
        mail.assert_queued(WelcomeMail, to="ann@example.com")
        mail.assert_not_sent(OrderConfirmation)

Nothing is recorded in the outbox and no mailer is called while a fake is active.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from email.utils import parseaddr
from typing import Any

from forge_suite.mailer import notifications, outbox
from forge_suite.mailer.mailable import Mailable
from forge_suite.mailer.models import OutboundEmail, Status
from forge_suite.mailer.notifications import Notification, recipient_ref

__all__ = ["FakeMail", "MailFake", "NotificationFake", "mail_fake", "notification_fake"]


@dataclass
class FakeMail:
    """One captured mail: the Mailable and the outbox row it would have been."""

    mailable: Mailable
    row: OutboundEmail
    queued: bool

    def addresses(self) -> set[str]:
        return {parseaddr(a)[1].lower() for a in self.row.recipients()}


class MailFake:
    """Captures mail sent or queued while active; assertion methods check what happened."""

    def __init__(self) -> None:
        self.mails: list[FakeMail] = []

    def capture(self, mailable: Mailable, row: OutboundEmail, *, queued: bool) -> OutboundEmail:
        row.status = Status.QUEUED if queued else Status.SENT
        self.mails.append(FakeMail(mailable, row, queued))
        return row

    def _matching(
        self,
        cls: type[Mailable],
        to: str | None,
        queued: bool | None,
        where: Callable[[Mailable], bool] | None,
    ) -> list[FakeMail]:
        found = [m for m in self.mails if isinstance(m.mailable, cls)]
        if queued is not None:
            found = [m for m in found if m.queued is queued]
        if to is not None:
            found = [m for m in found if to.lower() in m.addresses()]
        if where is not None:
            found = [m for m in found if where(m.mailable)]
        return found

    def _describe(self) -> str:
        if not self.mails:
            return "no mail at all"
        return ", ".join(
            f"{type(m.mailable).__name__} to {sorted(m.addresses())}"
            f"{' (queued)' if m.queued else ''}"
            for m in self.mails
        )

    def assert_sent(
        self,
        cls: type[Mailable],
        to: str | None = None,
        *,
        count: int | None = None,
        where: Callable[[Mailable], bool] | None = None,
    ) -> list[FakeMail]:
        """Assert ``cls`` was sent now (``.send()``), optionally to ``to`` and ``count`` times."""
        return self._assert(cls, to, count, where, queued=False)

    def assert_queued(
        self,
        cls: type[Mailable],
        to: str | None = None,
        *,
        count: int | None = None,
        where: Callable[[Mailable], bool] | None = None,
    ) -> list[FakeMail]:
        """Assert ``cls`` was queued (``.queue()`` or ``.later()``)."""
        return self._assert(cls, to, count, where, queued=True)

    def _assert(
        self,
        cls: type[Mailable],
        to: str | None,
        count: int | None,
        where: Callable[[Mailable], bool] | None,
        *,
        queued: bool,
    ) -> list[FakeMail]:
        found = self._matching(cls, to, queued, where)
        verb = "queued" if queued else "sent"
        target = f" to {to}" if to else ""
        if not found:
            raise AssertionError(
                f"{cls.__name__} was not {verb}{target}; captured: {self._describe()}"
            )
        if count is not None and len(found) != count:
            raise AssertionError(
                f"{cls.__name__} was {verb}{target} {len(found)} times, expected {count}"
            )
        return found

    def assert_not_sent(self, cls: type[Mailable], to: str | None = None) -> None:
        """Assert ``cls`` was neither sent nor queued (to ``to``)."""
        found = self._matching(cls, to, None, None)
        if found:
            raise AssertionError(
                f"{cls.__name__} was sent unexpectedly; captured: {self._describe()}"
            )

    def assert_nothing_sent(self) -> None:
        if self.mails:
            raise AssertionError(f"expected no mail; captured: {self._describe()}")


@contextmanager
def mail_fake() -> Iterator[MailFake]:
    """Capture mail instead of recording and sending it, for the duration of the block."""
    fake = MailFake()
    previous, outbox._fake = outbox._fake, fake
    try:
        yield fake
    finally:
        outbox._fake = previous


class NotificationFake:
    """Captures ``notify()`` calls while active."""

    def __init__(self) -> None:
        self.sent: list[tuple[Any, Notification]] = []

    def capture(self, recipient: Any, notification: Notification) -> None:
        self.sent.append((recipient, notification))

    def assert_sent_to(
        self,
        recipient: Any,
        cls: type[Notification],
        *,
        channels: list[str] | None = None,
        count: int | None = None,
    ) -> list[Notification]:
        """Assert ``cls`` was sent to ``recipient`` (and would use ``channels``)."""
        ref = recipient_ref(recipient)
        found = [n for r, n in self.sent if isinstance(n, cls) and recipient_ref(r) == ref]
        if not found:
            raise AssertionError(f"{cls.__name__} was not sent to {ref}")
        if count is not None and len(found) != count:
            raise AssertionError(f"{cls.__name__} sent {len(found)} times, expected {count}")
        if channels is not None:
            used = sorted(found[-1].via(recipient))
            if used != sorted(channels):
                raise AssertionError(f"{cls.__name__} goes via {used}, expected {channels}")
        return found

    def assert_not_sent_to(self, recipient: Any, cls: type[Notification]) -> None:
        ref = recipient_ref(recipient)
        if any(isinstance(n, cls) and recipient_ref(r) == ref for r, n in self.sent):
            raise AssertionError(f"{cls.__name__} was sent to {ref} unexpectedly")

    def assert_nothing_sent(self) -> None:
        if self.sent:
            raise AssertionError(f"expected no notification, got {len(self.sent)}")


@contextmanager
def notification_fake() -> Iterator[NotificationFake]:
    """Capture notifications instead of delivering them, for the duration of the block."""
    fake = NotificationFake()
    previous, notifications._fake = notifications._fake, fake
    try:
        yield fake
    finally:
        notifications._fake = previous
