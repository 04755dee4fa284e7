"""Bulk campaigns: one Mailable, many recipients, one personalised message each.

Every recipient gets a message of its own (never one message exposing all addresses).
Suppressed and unsubscribed addresses are skipped up front and counted. Rows are created in
batches and sent by ``forge_mailer.send_campaign_batch`` jobs, each holding one connection per
mailer, at most ``CAMPAIGN_RATE`` messages per mailer (``forge_suite.throttling``, shared
across workers when the throttle store is Redis).
"""

from __future__ import annotations

import logging
import time
import uuid
from collections.abc import Callable, Iterable
from email.utils import parseaddr
from typing import Any

from django.db import transaction
from django.db.models import F, QuerySet
from django.utils import timezone

from forge_suite.mailer.conf import app_settings
from forge_suite.mailer.jobs import job
from forge_suite.mailer.mailable import Mailable
from forge_suite.mailer.models import Campaign, OutboundEmail, Suppression, Unsubscription
from forge_suite.mailer.parts import Address

__all__ = ["send_campaign", "send_campaign_batch", "throttle"]

logger = logging.getLogger("forge_suite.mailer")


def send_campaign(
    mailable: type[Mailable],
    recipients: Iterable[Any],
    *,
    name: str | None = None,
    context: Callable[[Any], dict[str, Any]] | None = None,
    using: str | None = None,
    batch_size: int | None = None,
    progress: Callable[[int], None] | None = None,
) -> Campaign:
    """Queue ``mailable`` for every recipient (users or addresses) of ``recipients``.

    ``context(recipient)`` gives each message its own template context. Returns the
    :class:`Campaign`, whose ``stats()`` follow the messages as they are sent and tracked.
    """
    size = batch_size or app_settings.BATCH_SIZE
    campaign = Campaign.objects.create(
        name=name or mailable.__name__,
        mailable=f"{mailable.__module__}.{mailable.__qualname__}",
        list_name=mailable.list_name or "",
        state=Campaign.State.SENDING,
    )
    batch: list[Any] = []
    if isinstance(recipients, QuerySet):
        recipients = recipients.iterator(chunk_size=size)  # never the whole table in memory
    for recipient in recipients:
        batch.append(recipient)
        if len(batch) >= size:
            _queue_batch(campaign, mailable, batch, context, using, progress)
            batch = []
    if batch:
        _queue_batch(campaign, mailable, batch, context, using, progress)
    return campaign


def _queue_batch(
    campaign: Campaign,
    mailable: type[Mailable],
    recipients: list[Any],
    context: Callable[[Any], dict[str, Any]] | None,
    using: str | None,
    progress: Callable[[int], None] | None,
) -> None:
    from forge_suite.mailer.outbox import prepare

    addresses = [Address.coerce(r) for r in recipients]
    emails = [a.email.lower() for a in addresses]
    blocked = set(Suppression.objects.filter(email__in=emails).values_list("email", flat=True))
    if mailable.list_name:
        blocked |= set(
            Unsubscription.objects.filter(
                email__in=emails, list_name=mailable.list_name
            ).values_list("email", flat=True)
        )
    rows = []
    for recipient, address in zip(recipients, addresses, strict=True):
        if address.email.lower() in blocked:
            continue
        extra = context(recipient) if context else {}
        message = mailable(**extra).to(recipient if not isinstance(recipient, str) else address)
        row = prepare(message, using)
        row.campaign = campaign
        rows.append(row)
    skipped = len(recipients) - len(rows)
    with transaction.atomic():
        created = OutboundEmail.objects.bulk_create(rows)
        Campaign.objects.filter(pk=campaign.pk).update(
            total=F("total") + len(recipients),
            queued=F("queued") + len(rows),
            skipped=F("skipped") + skipped,
        )
        pks = [r.pk for r in created]
        if pks and pks[0] is None:  # backends without RETURNING (MySQL < 8.0.19)
            pks = list(
                OutboundEmail.objects.filter(uuid__in=[r.uuid for r in rows]).values_list(
                    "pk", flat=True
                )
            )
        campaign_id = campaign.pk
        transaction.on_commit(lambda: _dispatch_batch(pks, campaign_id))
    if progress:
        progress(len(recipients))


def _dispatch_batch(pks: list[int], campaign_id: int) -> None:
    try:
        send_campaign_batch.dispatch_with([pks, campaign_id])
    except Exception as exc:  # rows stay queued; send_queued() picks them up
        logger.warning("campaign %s batch stays queued: %s", campaign_id, exc)


def throttle(alias: str) -> None:
    """Wait until ``CAMPAIGN_RATE`` admits one more message through mailer ``alias``."""
    rate = app_settings.CAMPAIGN_RATE
    if not rate:
        return
    from forge_suite.throttling import Policy, check

    policy = Policy("forge_mailer.campaign", rate, algorithm="gcra", key="global")
    while True:
        decision = check(policy, key=alias)
        if decision.allowed:
            return
        time.sleep(min(decision.retry_after or 0.05, 5.0))


@job(name="forge_mailer.send_campaign_batch", max_retries=5, backoff=2)
def send_campaign_batch(pks: list[int], campaign_id: int) -> int:
    """Claim and send one batch of a campaign over one connection per mailer."""
    from forge_suite.mailer.outbox import claim, send_batch

    token = uuid.uuid4().hex
    rows = claim(pks, token)
    send_batch(rows, token, each=throttle)
    if not OutboundEmail.objects.filter(campaign_id=campaign_id, status="queued").exists():
        Campaign.objects.filter(pk=campaign_id, state=Campaign.State.SENDING).update(
            state=Campaign.State.DONE, finished_at=timezone.now()
        )
    return len(rows)


def _address_of(value: str) -> str:
    return parseaddr(value)[1].lower()
