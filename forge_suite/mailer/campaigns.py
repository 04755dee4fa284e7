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
from email.utils import make_msgid, parseaddr
from typing import Any

from django.db import transaction
from django.db.models import F, QuerySet
from django.utils import timezone

from forge_suite.mailer.batching import BUILT_IN_FIELDS, merge_tag_format
from forge_suite.mailer.conf import app_settings
from forge_suite.mailer.jobs import job
from forge_suite.mailer.links import unsubscribe_links
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
    esp_batch: bool = True,
) -> Campaign:
    """Queue ``mailable`` for every recipient (users or addresses) of ``recipients``.

    ``context(recipient)`` gives each message its own template context. Returns the
    :class:`Campaign`, whose ``stats()`` follow the messages as they are sent and tracked.
    When the Mailable names ``merge_fields`` and the mailer's ESP batch-sends (and
    ``esp_batch`` is left on), each batch is rendered once and sent in one API call.
    """
    size = batch_size or app_settings.BATCH_SIZE
    alias = using or mailable.mailer or app_settings.DEFAULT_MAILER
    tag = merge_tag_format(alias) if esp_batch and mailable.merge_fields else None
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
            _queue_batch(campaign, mailable, batch, context, using, progress, tag)
            batch = []
    if batch:
        _queue_batch(campaign, mailable, batch, context, using, progress, tag)
    return campaign


def _queue_batch(
    campaign: Campaign,
    mailable: type[Mailable],
    recipients: list[Any],
    context: Callable[[Any], dict[str, Any]] | None,
    using: str | None,
    progress: Callable[[int], None] | None,
    tag: str | None = None,
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
    kept = [
        (recipient, address)
        for recipient, address in zip(recipients, addresses, strict=True)
        if address.email.lower() not in blocked
    ]
    rows = []
    if tag:
        rows = _merged_rows(mailable, kept, context, using, tag)
    else:
        for recipient, address in kept:
            extra = context(recipient) if context else {}
            target = recipient if not isinstance(recipient, str) else address
            rows.append(prepare(mailable(**extra).to(target), using))
    for row in rows:
        row.campaign = campaign
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


def _merged_rows(
    mailable: type[Mailable],
    kept: list[tuple[Any, Address]],
    context: Callable[[Any], dict[str, Any]] | None,
    using: str | None,
    tag: str,
) -> list[OutboundEmail]:
    """One rendering per language with merge tags, then a row per recipient sharing it."""
    from forge_suite.mailer.outbox import prepare

    fields = tuple(mailable.merge_fields)
    tags = {name: tag.format(name) for name in (*fields, *BUILT_IN_FIELDS)}
    by_language: dict[str | None, list[tuple[Address, dict[str, Any]]]] = {}
    for recipient, address in kept:
        extra = context(recipient) if context else {}
        by_language.setdefault(address.language, []).append((address, extra))
    rows = []
    copied = [f.attname for f in OutboundEmail._meta.concrete_fields if not f.primary_key]
    for group in by_language.values():
        address, extra = group[0]
        shared = mailable(**{**extra, **{f: tags[f] for f in fields}}).to(address)
        template = prepare(shared, using, merge_tags=tags)
        key = uuid.uuid4().hex
        for address, extra in group:
            row = OutboundEmail(**{name: getattr(template, name) for name in copied})
            row.uuid = uuid.uuid4()
            row.message_id = make_msgid(domain=app_settings.MESSAGE_ID_DOMAIN or None)
            row.to, row.batch_key = [address.formatted()], key
            values = {f: extra.get(f, "") for f in fields}
            values.update(
                recipient_name=address.name or address.email, recipient_email=address.email
            )
            headers = dict(template.headers)
            if mailable.list_name:
                links, personal = unsubscribe_links(row.uuid)
                values.update(links)
                headers.update(personal)
            row.headers, row.merge_data = headers, {"tag": tag, "values": values}
            rows.append(row)
    return rows


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
