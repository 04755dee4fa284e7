"""The outbox: every message recorded, then sent by exactly one worker.

A message row moves ``queued → sending → sent`` through guarded UPDATEs: a worker owns a row
only if its ``UPDATE ... WHERE status='queued'`` changed it (the database serialises competing
updates of one row), and it then holds a *lease*. Only the owner calls the SMTP server or ESP.
A row still ``sending`` after its lease expired belongs to a worker that died mid-send: the next
worker takes it up again and marks it ``resent`` (the crashed attempt may have reached the
server, so a duplicate is possible only for those rows).
"""

from __future__ import annotations

import base64
import datetime as dt
import logging
import queue
import threading
import uuid
from collections.abc import Callable, Iterable, Sequence
from email.utils import make_msgid
from typing import Any

from anymail.message import AnymailMessage
from django.db.models import F, Q
from django.urls import reverse
from django.utils import timezone

from forge_suite.core.metrics import metrics
from forge_suite.mailer import signals
from forge_suite.mailer.batching import (
    PERSONAL_HEADERS,
    MergeRecipient,
    address_of,
    esp_extra,
    fill,
    merge_values,
)
from forge_suite.mailer.conf import app_settings
from forge_suite.mailer.links import absolute, rewrite_links, unsubscribe_links
from forge_suite.mailer.mailers import get_mailer
from forge_suite.mailer.models import OutboundEmail, Status, Suppression, Unsubscription
from forge_suite.mailer.parts import Attachment, MailableLike, attach_inline
from forge_suite.mailer.tokens import sign_message

__all__ = [
    "claim",
    "mark_sent",
    "prepare",
    "send_batch",
    "send_now",
    "send_queued",
    "send_row",
    "to_message",
]

logger = logging.getLogger("forge_suite.mailer")

#: Test hook: ``testing.mail_fake()`` swaps this to capture instead of record/send.
_fake: Any = None


def prepare(
    mailable: MailableLike, using: str | None = None, *, merge_tags: dict[str, str] | None = None
) -> OutboundEmail:
    """Render ``mailable`` into an unsaved outbox row (headers, links and Message-ID set).

    With ``merge_tags`` (a campaign's ESP batch, see :mod:`forge_suite.mailer.batching`) the
    personal parts are rendered as those tags: ``recipient``, the unsubscribe links; no
    per-message tracking pixel or click redirects are added (the ESP tracks the batch).
    """
    row_uuid = uuid.uuid4()
    extra: dict[str, Any] = {}
    headers: dict[str, str] = {}
    if merge_tags is not None:
        extra["recipient"] = MergeRecipient(
            merge_tags["recipient_name"], merge_tags["recipient_email"]
        )
        if mailable.list_name:
            extra["unsubscribe_url"] = merge_tags["unsubscribe_url"]
            extra["preferences_url"] = merge_tags["preferences_url"]
    elif mailable.list_name:
        links, headers = unsubscribe_links(row_uuid)
        extra.update(links)
    if app_settings.TRACK_OPENS and merge_tags is None:
        extra["tracking_pixel"] = absolute(
            reverse("forge_mailer:open", args=[sign_message(row_uuid)])
        )
    message = mailable.build_message(extra)
    html = _html_of(message)
    if app_settings.TRACK_CLICKS and html and merge_tags is None:
        html = rewrite_links(html, row_uuid)
    message_id = make_msgid(domain=app_settings.MESSAGE_ID_DOMAIN or None)
    return OutboundEmail(
        uuid=row_uuid,
        message_id=message_id,
        mailable=f"{type(mailable).__module__}.{type(mailable).__qualname__}",
        mailer=using or mailable.mailer_alias(),
        from_email=message.from_email,
        to=list(message.to),
        cc=list(message.cc),
        bcc=list(message.bcc),
        reply_to=list(message.reply_to),
        subject=message.subject,
        text=message.body,
        html=html,
        headers={**message.extra_headers, **headers},
        tags=list(message.tags or []),
        metadata=dict(message.metadata or {}),
        attachments=[_dump_attachment(a) for a in _attachments_of(message)],
        list_name=mailable.list_name or "",
    )


def to_message(row: OutboundEmail, *, keep_merge_tags: bool = False) -> AnymailMessage:
    """The message a mailer sends for ``row`` (suppressed recipients already removed).

    A campaign's batch row gets its merge values filled in, unless ``keep_merge_tags`` (the
    ESP fills them in a batch send)."""
    merge = {} if keep_merge_tags else (row.merge_data or {})
    message = AnymailMessage(
        subject=fill(row.subject, merge),
        body=fill(row.text, merge),
        from_email=row.from_email,
        to=row.to,
        cc=row.cc,
        bcc=row.bcc,
        reply_to=row.reply_to,
        headers={**row.headers, "Message-ID": row.message_id},
        tags=row.tags,
        metadata=row.metadata,
    )
    if row.html:
        message.attach_alternative(fill(row.html, merge, html=True), "text/html")
    for item in row.attachments:
        attachment = Attachment(
            item["filename"], base64.b64decode(item["content"]), item["mimetype"], item.get("cid")
        )
        if attachment.cid:
            attach_inline(message, attachment)
        else:
            message.attach(attachment.filename, attachment.content, attachment.mimetype)
    return message


def send_now(mailable: MailableLike, using: str | None = None) -> OutboundEmail:
    """Record ``mailable`` and send it in this process; the row tells how it went."""
    row = prepare(mailable, using)
    if _fake is not None:
        captured: OutboundEmail = _fake.capture(mailable, row, queued=False)
        return captured
    row.status = Status.SENDING
    token = uuid.uuid4().hex
    row.claim_token = token
    row.attempts = 1
    row.lease_until = timezone.now() + dt.timedelta(seconds=app_settings.LEASE_SECONDS)
    row.save()
    send_row(row, token, final=True)
    row.refresh_from_db()
    return row


def claim(pks: Iterable[int], token: str) -> list[OutboundEmail]:
    """Take the rows of ``pks`` that are due and unowned (or whose lease expired)."""
    now = timezone.now()
    lease = now + dt.timedelta(seconds=app_settings.LEASE_SECONDS)
    ids = list(pks)
    changes = {
        "status": Status.SENDING,
        "claim_token": token,
        "lease_until": lease,
        "attempts": F("attempts") + 1,
    }
    OutboundEmail.objects.filter(pk__in=ids, status=Status.QUEUED).filter(
        Q(scheduled_at__isnull=True) | Q(scheduled_at__lte=now)
    ).update(**changes)
    # A row still "sending" after its lease belongs to a worker that died mid-send.
    OutboundEmail.objects.filter(pk__in=ids, status=Status.SENDING, lease_until__lt=now).update(
        resent=True, **changes
    )
    return list(OutboundEmail.objects.filter(pk__in=ids, claim_token=token, status=Status.SENDING))


def _suppressed_many(rows: Sequence[OutboundEmail]) -> dict[int, set[str]]:
    """For each row, the recipients (as written) that are suppressed or left its list."""
    wanted = {bare_address(a) for row in rows for a in row.recipients()}
    if not wanted:
        return {}
    blocked = {
        e.lower()
        for e in Suppression.objects.filter(email__in=wanted).values_list("email", flat=True)
    }
    lists = {row.list_name for row in rows if row.list_name}
    left: set[tuple[str, str]] = set()
    if lists:
        left = {
            (e.lower(), name)
            for e, name in Unsubscription.objects.filter(
                email__in=wanted, list_name__in=lists
            ).values_list("email", "list_name")
        }
    found: dict[int, set[str]] = {}
    for row in rows:
        hits = {
            a
            for a in row.recipients()
            if (addr := bare_address(a)) in blocked or (addr, row.list_name) in left
        }
        if hits:
            found[row.pk] = hits
    return found


def bare_address(value: str) -> str:
    """``ann@example.com`` from ``Ann <Ann@Example.com>`` (lower-cased)."""
    if "<" not in value:
        return value.strip().lower()
    from email.utils import parseaddr

    return parseaddr(value)[1].lower()


#: A sent row waiting for its status write: (row, alias used, provider message id).
Pending = list[tuple[OutboundEmail, str, str]]


def _build(row: OutboundEmail, token: str, blocked: set[str]) -> AnymailMessage | None:
    """The message for ``row`` without its blocked recipients; None (recorded) if none is left."""
    if blocked:
        row.to = [a for a in row.to if a not in blocked]
        row.cc = [a for a in row.cc if a not in blocked]
        row.bcc = [a for a in row.bcc if a not in blocked]
        if not row.recipients():
            OutboundEmail.objects.filter(pk=row.pk, claim_token=token).update(
                status=Status.SUPPRESSED, lease_until=None, last_error="suppressed"
            )
            signals.message_suppressed.send(OutboundEmail, message=row, addresses=sorted(blocked))
            return None
    return to_message(row)


def _record(
    row: OutboundEmail,
    message: AnymailMessage,
    error: BaseException | None,
    token: str,
    *,
    final: bool = False,
    pending: Pending | None = None,
) -> bool:
    """Record one send's outcome; False when it failed and will be retried."""
    if error is not None:
        text = f"{type(error).__name__}: {error}"
        give_up = final or row.attempts >= app_settings.MAX_ATTEMPTS
        OutboundEmail.objects.filter(pk=row.pk, claim_token=token).update(
            status=Status.FAILED if give_up else Status.QUEUED, last_error=text, lease_until=None
        )
        _metric("failed", row)
        if give_up:
            row.status = Status.FAILED
            signals.message_failed.send(OutboundEmail, message=row, error=text)
            return True
        return False
    status = getattr(message, "anymail_status", None)
    provider_id = str(status.message_id) if status and status.message_id else ""
    used = getattr(message, "forge_mailer", None) or row.mailer
    done = [(row, str(used), provider_id)]
    if pending is None:
        mark_sent(done, token)
    else:
        pending.extend(done)
    return True


def send_row(row: OutboundEmail, token: str, *, final: bool = False, backend: Any = None) -> bool:
    """Send a claimed row and record the outcome. True when it was sent (or skipped)."""
    message = _build(row, token, _suppressed_many([row]).get(row.pk, set()))
    if message is None:
        return True
    try:
        (backend or get_mailer(row.mailer or None)).send_messages([message])
    except Exception as exc:
        return _record(row, message, exc, token, final=final)
    return _record(row, message, None, token, final=final)


def mark_sent(done: Pending, token: str) -> None:
    """Write the ``sent`` status of ``done`` rows (one UPDATE per mailer when no provider id)."""
    if not done:
        return
    now = timezone.now()
    common = {"status": Status.SENT, "sent_at": now, "lease_until": None, "last_error": ""}
    plain: dict[str, list[int]] = {}
    for row, used, provider_id in done:
        if provider_id:
            OutboundEmail.objects.filter(pk=row.pk, claim_token=token).update(
                provider_message_id=provider_id, mailer_used=used, **common
            )
        else:
            plain.setdefault(used, []).append(row.pk)
    for used, pks in plain.items():
        OutboundEmail.objects.filter(pk__in=pks, claim_token=token).update(
            mailer_used=used, **common
        )
    for row, used, provider_id in done:
        row.status, row.mailer_used, row.provider_message_id = Status.SENT, used, provider_id
        _metric("sent", row)
        _record_latency(row, now)
        signals.message_sent.send(OutboundEmail, message=row, mailer=used)


def _metric(status: str, row: OutboundEmail) -> None:
    metrics().record_mail(row.mailer_used or row.mailer or app_settings.DEFAULT_MAILER, status)


def _record_latency(row: OutboundEmail, sent_at: dt.datetime) -> None:
    """Queue latency: from when the row became due (queued, or its scheduled time) to sent."""
    due = max(row.created_at, row.scheduled_at) if row.scheduled_at else row.created_at
    mailer = row.mailer_used or row.mailer or app_settings.DEFAULT_MAILER
    metrics().record_mail_queue_latency(mailer, (sent_at - due).total_seconds())


def send_queued(*, limit: int | None = None, progress: Callable[[int], None] | None = None) -> int:
    """Send due queued rows in batches in this process (see :func:`send_batch`).

    Safe to run in several processes at once: each batch is claimed with a guarded UPDATE.
    Each row is tried at most once per call (a failed one waits for the next run), so a dead
    mailer never spins this loop. Returns how many rows were processed.
    """
    done = 0
    last_pk = 0
    batch = app_settings.BATCH_SIZE
    while limit is None or done < limit:
        now = timezone.now()
        size = batch if limit is None else min(batch, limit - done)
        candidates = list(
            OutboundEmail.objects.filter(status=Status.QUEUED, pk__gt=last_pk)
            .filter(Q(scheduled_at__isnull=True) | Q(scheduled_at__lte=now))
            .order_by("id")
            .values_list("pk", flat=True)[:size]
        )
        if not candidates:
            break
        last_pk = candidates[-1]
        token = uuid.uuid4().hex
        rows = claim(candidates, token)
        send_batch(rows, token)
        done += len(rows)
        if progress:
            progress(len(rows))
    return done


#: Sent rows written in one UPDATE at a time in batch mode; after a crash, at most this many
#: rows of the dying batch were sent but not marked, and are resent.
FLUSH_EVERY = 50


def send_batch(rows: Sequence[OutboundEmail], token: str, *, each: Any = None) -> None:
    """Send claimed ``rows`` over ``CONNECTIONS`` parallel connections per mailer.

    Sender threads only talk SMTP/HTTP; this thread writes the statuses, ``FLUSH_EVERY`` rows
    per UPDATE. ``each(alias)`` runs before every message (campaigns throttle there).
    """
    by_mailer: dict[str, list[OutboundEmail]] = {}
    for row in rows:
        by_mailer.setdefault(row.mailer or app_settings.DEFAULT_MAILER, []).append(row)
    blocked = _suppressed_many(rows)
    for alias, group in by_mailer.items():
        batches: dict[str, list[OutboundEmail]] = {}
        if esp_extra(alias) is not None:  # the mailer takes ESP batch sends
            for row in group:
                if row.batch_key and len(row.to) == 1 and not row.cc and not row.bcc:
                    batches.setdefault(row.batch_key, []).append(row)
        for rows_of_batch in batches.values():
            _send_merged(alias, rows_of_batch, token, blocked, each)
        batched = {row.pk for rows_of_batch in batches.values() for row in rows_of_batch}
        built = [
            (row, _build(row, token, blocked.get(row.pk, set())))
            for row in group
            if row.pk not in batched
        ]
        ready = [(row, message) for row, message in built if message is not None]
        _send_parallel(alias, ready, token, each)


def _send_merged(
    alias: str, rows: list[OutboundEmail], token: str, blocked: dict[int, set[str]], each: Any
) -> None:
    """One ESP batch send for campaign rows sharing their content: a message of its own per
    recipient, the personal values through anymail's ``merge_data``."""
    live = [  # a single recipient each: a blocked one is recorded as suppressed by _build
        row for row in rows if not blocked.get(row.pk) or _build(row, token, blocked[row.pk])
    ]
    if not live:
        return
    first = live[0]
    message = to_message(first, keep_merge_tags=True)
    message.to = [row.to[0] for row in live]
    message.extra_headers = {
        k: v for k, v in first.headers.items() if k not in (*PERSONAL_HEADERS, "Message-ID")
    }
    email = {row.pk: address_of(row.to[0]) for row in live}
    message.merge_data = {email[r.pk]: merge_values(r.merge_data, html=True) for r in live}
    message.merge_metadata = {email[r.pk]: {"forge_message": str(r.uuid)} for r in live}
    message.merge_headers = {
        email[r.pk]: {k: r.headers[k] for k in PERSONAL_HEADERS if k in r.headers} for r in live
    }
    message.esp_extra = esp_extra(alias)
    for _row in live:
        if each is not None:
            each(alias)
    try:
        get_mailer(alias).send_messages([message])
    except Exception as exc:
        for row in live:
            _record(row, message, exc, token)
        return
    statuses = message.anymail_status.recipients
    done: Pending = []
    for row in live:
        status = statuses.get(email[row.pk])
        if status is not None and status.status in ("rejected", "invalid", "failed"):
            _record(row, message, RuntimeError(f"ESP answered {status.status}"), token)
        else:
            done.append((row, alias, str(status.message_id if status else "") or ""))
    mark_sent(done, token)


def _send_parallel(
    alias: str, items: list[tuple[OutboundEmail, AnymailMessage]], token: str, each: Any
) -> None:
    if not items:
        return
    count = max(1, min(app_settings.CONNECTIONS, len(items)))
    results: queue.Queue[tuple[OutboundEmail, AnymailMessage, BaseException | None] | None]
    results = queue.Queue()

    def sender(chunk: list[tuple[OutboundEmail, AnymailMessage]]) -> None:
        try:
            backend = get_mailer(alias)
            opened = backend.open()
        except Exception as exc:
            for row, message in chunk:
                results.put((row, message, exc))
            results.put(None)
            return
        try:
            for row, message in chunk:
                try:
                    if each is not None:
                        each(alias)
                    backend.send_messages([message])
                except Exception as exc:
                    results.put((row, message, exc))
                else:
                    results.put((row, message, None))
        finally:
            if opened:
                backend.close()
            results.put(None)

    threads = [
        threading.Thread(target=sender, args=(items[i::count],), daemon=True) for i in range(count)
    ]
    for thread in threads:
        thread.start()
    pending: Pending = []
    running = count
    try:
        while running:
            item = results.get()
            if item is None:
                running -= 1
                continue
            row, message, error = item
            _record(row, message, error, token, pending=pending)
            if len(pending) >= FLUSH_EVERY:
                mark_sent(pending, token)
                pending = []
    finally:
        mark_sent(pending, token)
        for thread in threads:
            thread.join()


def _html_of(message: Any) -> str:
    for content, mimetype in getattr(message, "alternatives", []):
        if mimetype == "text/html":
            return str(content)
    return ""


def _attachments_of(message: Any) -> list[Attachment]:
    out: list[Attachment] = []
    for item in message.attachments:
        if isinstance(item, tuple) or (hasattr(item, "content") and hasattr(item, "filename")):
            filename, content, mimetype = item[0], item[1], item[2]
            data = content.encode() if isinstance(content, str) else content
            out.append(Attachment(filename, data, mimetype or "application/octet-stream"))
            continue
        cid = str(item.get("Content-ID", "")).strip("<>") or None
        payload = item.get_payload(decode=True) if hasattr(item, "get_payload") else b""
        filename = item.get_filename() or "inline"
        out.append(Attachment(filename, payload, item.get_content_type(), cid))
    return out


def _dump_attachment(item: Attachment) -> dict[str, Any]:
    return {
        "filename": item.filename,
        "content": base64.b64encode(item.content).decode(),
        "mimetype": item.mimetype,
        "cid": item.cid,
    }
