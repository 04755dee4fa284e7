"""Queued and scheduled sending: record now, send on a worker after the transaction commits.

Above :mod:`forge_suite.mailer.outbox` (what a send does) and :mod:`forge_suite.mailer.tasks`
(the job): this module dispatches the job.
"""

from __future__ import annotations

import datetime as dt
import logging
import uuid
from email.utils import make_msgid

from django.db import transaction
from django.utils import timezone

from forge_suite.mailer import outbox
from forge_suite.mailer.conf import app_settings
from forge_suite.mailer.models import OutboundEmail, Status
from forge_suite.mailer.outbox import prepare
from forge_suite.mailer.parts import MailableLike
from forge_suite.mailer.tasks import deliver

__all__ = ["dispatch", "enqueue", "recover_stale", "resend"]

logger = logging.getLogger("forge_suite.mailer")


def enqueue(
    mailable: MailableLike,
    using: str | None = None,
    *,
    when: float | dt.timedelta | dt.datetime | None = None,
) -> OutboundEmail:
    """Record ``mailable`` as queued and dispatch its send job after the transaction commits."""
    row = prepare(mailable, using)
    eta: dt.datetime | None = None
    if when is not None:
        if isinstance(when, dt.datetime):
            if timezone.is_naive(when):
                raise ValueError("later(): the datetime must be timezone-aware")
            eta = when
        else:
            seconds = when.total_seconds() if isinstance(when, dt.timedelta) else float(when)
            eta = timezone.now() + dt.timedelta(seconds=seconds)
        row.scheduled_at = eta
    if outbox._fake is not None:
        queued: OutboundEmail = outbox._fake.capture(mailable, row, queued=True)
        return queued
    row.save()
    pk = row.pk
    transaction.on_commit(lambda: dispatch(pk, eta))
    return row


def dispatch(pk: int, eta: dt.datetime | None = None) -> None:
    """Send the job for row ``pk``; a broker or eager failure leaves the row queued."""
    job = deliver.on_queue(app_settings.QUEUE) if app_settings.QUEUE else deliver
    try:
        job.dispatch_with([pk], eta=eta)
    except Exception as exc:
        # The row stays queued (send_queued or recover_stale picks it up); nothing is lost.
        logger.warning("mail %s stays queued: %s", pk, exc)
        OutboundEmail.objects.filter(pk=pk).update(last_error=f"{type(exc).__name__}: {exc}")


def recover_stale() -> int:
    """Dispatch again every row whose sending lease expired (its worker died mid-send)."""
    now = timezone.now()
    pks = list(
        OutboundEmail.objects.filter(status=Status.SENDING, lease_until__lt=now).values_list(
            "pk", flat=True
        )
    )
    for pk in pks:
        dispatch(pk)
    return len(pks)


def resend(row: OutboundEmail) -> OutboundEmail:
    """Queue a copy of ``row`` (same content, new Message-ID) and dispatch it."""
    copy = OutboundEmail.objects.get(pk=row.pk)
    copy.pk = None
    copy.id = None
    copy.uuid = uuid.uuid4()
    copy.message_id = make_msgid(domain=app_settings.MESSAGE_ID_DOMAIN or None)
    copy.status = Status.QUEUED
    copy.provider_message_id = copy.last_error = copy.claim_token = copy.mailer_used = ""
    copy.attempts = 0
    copy.resent = False
    copy.lease_until = copy.sent_at = copy.scheduled_at = None
    copy.created_at = timezone.now()
    copy.save()
    pk = copy.pk
    transaction.on_commit(lambda: dispatch(pk))
    return copy
