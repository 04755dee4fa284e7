"""Queued and scheduled sending in the embedded (eager) mode, claims, retries and fakes."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

import pytest
from django.db import transaction
from django.test import override_settings
from django.utils import timezone

from forge_suite.mailer.models import OutboundEmail, Status
from forge_suite.mailer.outbox import claim, send_queued
from forge_suite.mailer.queueing import recover_stale, resend
from forge_suite.mailer.tasks import deliver
from forge_suite.mailer.testing import mail_fake
from tests.mailer.mailables import Newsletter, OrderShipped, Welcome
from tests.support.smtp_sink import SmtpSink

pytestmark = pytest.mark.django_db


def test_queue_inside_a_transaction_sends_only_after_commit(
    smtp_sink: SmtpSink, mailers: dict[str, Any], django_capture_on_commit_callbacks: Any
) -> None:
    with django_capture_on_commit_callbacks(execute=True) as callbacks, transaction.atomic():
        row = Welcome(name="Ann").to("ann@example.com").queue()
        assert OutboundEmail.objects.get(pk=row.pk).status == Status.QUEUED
        assert smtp_sink.messages == []
    assert len(callbacks) == 1
    row.refresh_from_db()
    assert row.status == Status.SENT
    assert row.attempts == 1
    assert [str(m["Message-ID"]) for m in smtp_sink.messages] == [row.message_id]


def test_queue_in_a_rolled_back_transaction_sends_nothing(
    smtp_sink: SmtpSink, mailers: dict[str, Any], django_capture_on_commit_callbacks: Any
) -> None:
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        try:
            with transaction.atomic():
                Welcome(name="Ann").to("ann@example.com").queue()
                raise RuntimeError("order failed")
        except RuntimeError:
            pass
    assert callbacks == []
    assert not OutboundEmail.objects.exists()
    assert smtp_sink.messages == []


def test_later_is_not_sent_before_its_time_and_send_queued_sends_it_after(
    smtp_sink: SmtpSink, mailers: dict[str, Any]
) -> None:
    when = timezone.now() + dt.timedelta(hours=1)
    row = Welcome(name="Ann").to("ann@example.com").later(when)
    assert row.scheduled_at == when
    assert send_queued() == 0
    assert claim([row.pk], uuid.uuid4().hex) == []
    OutboundEmail.objects.filter(pk=row.pk).update(scheduled_at=timezone.now())
    assert send_queued() == 1
    row.refresh_from_db()
    assert row.status == Status.SENT
    with pytest.raises(ValueError, match="timezone-aware"):
        Welcome(name="x").to("a@example.com").later(dt.datetime(2030, 1, 1))


def test_a_failed_attempt_stays_queued_with_its_error_then_fails_after_max_attempts(
    mailers: dict[str, Any], django_capture_on_commit_callbacks: Any
) -> None:
    from django.conf import settings

    forge = {**settings.FORGE, "MAILER": {**settings.FORGE["MAILER"], "MAX_ATTEMPTS": 2}}
    with override_settings(FORGE=forge):
        with django_capture_on_commit_callbacks(execute=True):
            row = Welcome(name="Ann").to("ann@example.com").queue(using="dead")
        row.refresh_from_db()
        assert row.status == Status.QUEUED  # eager mode cannot wait: left for the next run
        assert row.attempts == 1
        assert "ConnectionRefusedError" in row.last_error
        assert deliver(row.pk) == "failed"  # the job gives up and records the failure
        row.refresh_from_db()
        assert row.status == Status.FAILED
        assert row.attempts == 2


def test_claims_are_exclusive_and_an_expired_lease_is_taken_over_as_resent(
    mailers: dict[str, Any], smtp_sink: SmtpSink
) -> None:
    row = Welcome(name="Ann").to("ann@example.com").later(0.0)
    OutboundEmail.objects.filter(pk=row.pk).update(scheduled_at=None)
    first = claim([row.pk], "a" * 32)
    assert [r.pk for r in first] == [row.pk]
    assert claim([row.pk], "b" * 32) == []  # owned, lease running
    OutboundEmail.objects.filter(pk=row.pk).update(
        lease_until=timezone.now() - dt.timedelta(seconds=1)
    )
    assert recover_stale() == 1  # dispatched again (eagerly here) by the recovery sweep
    row.refresh_from_db()
    assert row.status == Status.SENT
    assert row.resent is True
    assert row.attempts == 2


def test_resend_queues_a_copy_with_a_new_message_id(
    smtp_sink: SmtpSink, mailers: dict[str, Any], django_capture_on_commit_callbacks: Any
) -> None:
    row = OrderShipped(order="C-3", items=[]).to("ann@example.com").send()
    with django_capture_on_commit_callbacks(execute=True):
        copy = resend(row)
    copy.refresh_from_db()
    assert copy.status == Status.SENT
    assert copy.message_id != row.message_id
    first, second = smtp_sink.messages
    assert first["Subject"] == second["Subject"] == "Order C-3 shipped"
    assert len(list(second.iter_attachments())) == 2


def test_mail_fake_captures_and_asserts() -> None:
    with mail_fake() as mail:
        Welcome(name="Ann").to("ann@example.com").queue()
        OrderShipped(order="1", items=[]).to("Bob <bob@example.com>").send()
    assert not OutboundEmail.objects.exists()
    mail.assert_queued(Welcome, to="ann@example.com", count=1)
    mail.assert_sent(OrderShipped, to="bob@example.com")
    mail.assert_not_sent(Newsletter)
    with pytest.raises(AssertionError, match="Welcome was not sent"):
        mail.assert_sent(Welcome)
    with pytest.raises(AssertionError, match=r"OrderShipped was not queued to ann@example\.com"):
        mail.assert_queued(OrderShipped, to="ann@example.com")
    with pytest.raises(AssertionError, match="sent unexpectedly"):
        mail.assert_not_sent(Welcome)
    with pytest.raises(AssertionError, match="1 times, expected 2"):
        mail.assert_queued(Welcome, count=2)


def test_send_queued_tries_each_row_once_per_run_when_the_mailer_is_down(
    mailers: dict[str, Any], smtp_sink: SmtpSink
) -> None:
    for i in range(3):
        Welcome(name=str(i)).to(f"u{i}@example.com").later(0.0, using="dead")
    OutboundEmail.objects.update(scheduled_at=None)
    assert send_queued() == 3
    assert list(OutboundEmail.objects.values_list("status", "attempts")) == [("queued", 1)] * 3
    OutboundEmail.objects.update(mailer="smtp")  # the operator points them at a live mailer
    assert send_queued() == 3
    assert set(OutboundEmail.objects.values_list("status", flat=True)) == {"sent"}
    assert len(smtp_sink.messages) == 3


def test_a_job_that_runs_before_its_message_is_due_retries_later(
    mailers: dict[str, Any],
) -> None:
    from forge_suite.mailer.tasks import MessageBusy

    row = Welcome(name="x").to("a@example.com").later(dt.timedelta(hours=1))
    with pytest.raises(MessageBusy, match="not due yet"):
        deliver(row.pk)
    row.refresh_from_db()
    assert row.status == Status.QUEUED
    assert row.attempts == 0


def test_send_queued_records_the_queue_latency_histogram(
    smtp_sink: SmtpSink, mailers: dict[str, Any]
) -> None:
    """forge_mail_queue_latency_seconds observes due-to-sent time of each sent row."""
    from prometheus_client import REGISTRY

    def latency(kind: str) -> float:
        name = f"forge_mail_queue_latency_seconds_{kind}"
        return REGISTRY.get_sample_value(name, {"mailer": "smtp"}) or 0.0

    count, total = latency("count"), latency("sum")
    row = Welcome(name="Ann").to("ann@example.com").queue()
    OutboundEmail.objects.filter(pk=row.pk).update(
        created_at=timezone.now() - dt.timedelta(seconds=90)
    )
    assert send_queued() == 1
    assert OutboundEmail.objects.get(pk=row.pk).status == Status.SENT
    assert latency("count") == count + 1
    assert 90 <= latency("sum") - total < 3600
