"""Signed webhooks (Standard Webhooks), retries, dead letters, redelivery; model observers."""

from __future__ import annotations

import logging
from collections.abc import Iterator

import pytest
from django.core.checks import run_checks
from django.test import override_settings
from django.utils import timezone

from example_project.orders.models import OrderSummary
from forge_suite.eventstore.models import OutboxMessage, WebhookAttempt, WebhookEndpoint
from forge_suite.eventstore.observers import Change, Log, Observer, changed, changed_to
from forge_suite.eventstore.outbox import process_outbox, redeliver, retry
from forge_suite.eventstore.webhooks import generate_secret, send_webhook, sign
from tests.eventstore.receiver import Receiver, webhook_receiver

pytestmark = pytest.mark.django_db

NO_KICK = {"EVENTSTORE": {"DISPATCH_ON_COMMIT": False, "OUTBOX_BACKOFF": 30.0}}


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    secret = generate_secret()
    with webhook_receiver(secret) as state:
        WebhookEndpoint.objects.create(name="shop", url=state.url, secret=secret)
        yield state


def make_due() -> None:
    OutboxMessage.objects.filter(status="pending").update(available_at=timezone.now())


def test_signature_matches_the_spec_test_vector() -> None:
    assert (
        sign(
            "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",
            "msg_p5jXN8AQM9LWM0D4loKWxJek",
            1614265330,
            b'{"test": 2432232314}',
        )
        == "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="
    )


def test_secrets_have_the_whsec_form() -> None:
    secret = generate_secret()
    assert secret.startswith("whsec_")
    assert secret != generate_secret()


@override_settings(FORGE=NO_KICK)
def test_receiver_verifies_the_delivered_webhook(receiver: Receiver) -> None:
    event_id = send_webhook("shop", "order.paid", {"order_id": "o1", "amount": 12})
    assert process_outbox().delivered == 1
    assert receiver.rejected == []
    [got] = receiver.received
    assert got["headers"]["webhook-id"] == f"msg_{event_id.hex}"
    assert got["payload"]["type"] == "order.paid"
    assert got["payload"]["data"] == {"order_id": "o1", "amount": 12}
    attempt = WebhookAttempt.objects.get()
    assert (attempt.ok, attempt.status_code, attempt.attempt, attempt.endpoint) == (
        True,
        204,
        1,
        "shop",
    )


@override_settings(FORGE=NO_KICK)
def test_failing_receiver_sees_retries_then_a_dead_letter_then_redelivery(
    receiver: Receiver,
) -> None:
    receiver.fail_with = [500, 503, 302]
    send_webhook("shop", "order.paid", {"order_id": "o1"}, max_attempts=3)
    before = timezone.now()
    assert process_outbox().retried == 1
    message = OutboxMessage.objects.get()
    assert message.available_at > before + timezone.timedelta(seconds=14)  # backoff, not now
    assert process_outbox().claimed == 0
    make_due()
    assert process_outbox().retried == 1
    make_due()
    assert process_outbox().dead == 1  # a redirect is a failure too (not followed)
    message.refresh_from_db()
    assert message.status == "dead"
    assert "302" in message.last_error
    log = list(WebhookAttempt.objects.order_by("id").values_list("attempt", "status_code", "ok"))
    assert log == [(1, 500, False), (2, 503, False), (3, 302, False)]
    ids = {r["headers"]["webhook-id"] for r in receiver.received}
    stamps = [r["headers"]["webhook-timestamp"] for r in receiver.received]
    assert len(ids) == 1  # the same webhook-id on every retry
    assert len(stamps) == 3
    # Retry of the dead letter (the admin's action) delivers it.
    assert retry(OutboxMessage.objects.filter(status="dead")) == 1
    assert process_outbox().delivered == 1
    # Redelivery of a delivered webhook sends it again under the same id.
    assert redeliver([message.pk]) == 1
    assert process_outbox().delivered == 1
    assert [r["headers"]["webhook-id"] for r in receiver.received] == [ids.pop()] * 5
    assert receiver.rejected == []


@override_settings(FORGE=NO_KICK)
def test_wrong_secret_is_rejected_by_the_receiver(receiver: Receiver) -> None:
    WebhookEndpoint.objects.filter(name="shop").update(secret=generate_secret())
    send_webhook("shop", "order.paid", {}, max_attempts=1)
    assert process_outbox().dead == 1
    assert receiver.rejected
    assert WebhookAttempt.objects.get().status_code == 401


@override_settings(FORGE=NO_KICK)
def test_gone_disables_the_endpoint_and_event_filters_apply(receiver: Receiver) -> None:
    receiver.fail_with = [410]
    send_webhook("shop", "order.paid", {})
    process_outbox()
    assert WebhookEndpoint.objects.get().is_active is False
    WebhookEndpoint.objects.update(is_active=True, event_types=["order.refunded"])
    send_webhook("shop", "order.paid", {})
    assert process_outbox().delivered == 1  # filtered out: done without a request
    assert len(receiver.received) == 1


@override_settings(FORGE=NO_KICK)
def test_unknown_endpoint_fails_clearly() -> None:
    send_webhook("nowhere", "x", {}, max_attempts=1)
    process_outbox()
    assert "no webhook endpoint is named 'nowhere'" in OutboxMessage.objects.get().last_error


@override_settings(FORGE=NO_KICK)
def test_order_paid_observer_sends_webhook_broadcast_and_log(
    receiver: Receiver, caplog: pytest.LogCaptureFixture
) -> None:
    summary = OrderSummary.objects.create(
        order_id="o1", customer="ann", status="placed", total_cents=500, placed_at=timezone.now()
    )
    summary.customer = "ann b."
    summary.save()
    assert OutboxMessage.objects.count() == 0  # not a change to paid
    summary = OrderSummary.objects.get(pk="o1")
    summary.status = "paid"
    summary.save()
    kinds = sorted(OutboxMessage.objects.values_list("kind", flat=True))
    assert kinds == ["broadcast", "log", "webhook"]
    assert len(set(OutboxMessage.objects.values_list("event_id", flat=True))) == 1
    with caplog.at_level(logging.INFO, logger="forge_suite.eventstore.observers"):
        assert process_outbox().delivered == 3
    [got] = receiver.received
    assert got["payload"]["type"] == "order.paid"
    assert got["payload"]["data"]["changes"] == {"status": ["placed", "paid"]}
    assert got["payload"]["data"]["pk"] == "o1"
    assert any("demo_orders.OrderSummary.update" in r.getMessage() for r in caplog.records)
    summary.save()
    assert OutboxMessage.objects.count() == 3  # still paid: no new change to paid


def test_conditions_combine() -> None:
    old = {"status": "placed", "total": 1}
    new = {"status": "paid", "total": 2}
    change = Change("x.Y", 1, "update", old, new)
    assert changed_to("status", "paid")(change)
    assert not changed_to("status", "placed")(change)
    assert (changed("total") & changed_to("status", "paid"))(change)
    assert not (~changed("total"))(change)
    assert (changed("nothing") | changed("total"))(change)
    assert repr(changed_to("status", "paid")) == "status changed to 'paid'"
    created = Change("x.Y", 1, "create", None, new)
    assert changed_to("status", "paid")(created)
    with pytest.raises(ValueError, match="unknown operations"):

        class Bad(Observer):
            model = OrderSummary
            on = ("explode",)
            actions = (Log(),)


@override_settings(
    FORGE={
        "EVENTSTORE": {
            "WEBHOOK_ENDPOINTS": {
                "a": {"url": "ftp://x"},
                "b": {"url": "https://x", "secret": "nope!"},
            }
        }
    }
)
def test_checks_reject_bad_endpoints() -> None:
    ids = {m.id for m in run_checks() if m.id and m.id.startswith("forge_eventstore")}
    assert ids == {"forge_eventstore.E001", "forge_eventstore.E002"}


def test_a_failed_webhook_is_counted_by_endpoint_status_and_outcome(receiver: Receiver) -> None:
    from prometheus_client import REGISTRY

    def sample(name: str, **labels: str) -> float:
        return REGISTRY.get_sample_value(name, labels) or 0.0

    webhook = {"endpoint": "shop", "reason": "503"}
    failures = sample("forge_eventstore_webhook_failures_total", **webhook)
    retried = sample("forge_eventstore_delivery_failures_total", kind="webhook", outcome="retried")
    receiver.fail_with = [503]
    send_webhook("shop", "order.paid", {"order_id": "o1"}, max_attempts=3)
    assert process_outbox().retried == 1
    assert sample("forge_eventstore_webhook_failures_total", **webhook) == failures + 1
    after = sample("forge_eventstore_delivery_failures_total", kind="webhook", outcome="retried")
    assert after == retried + 1
    make_due()
    assert process_outbox().delivered == 1  # a success counts no failure
    assert sample("forge_eventstore_webhook_failures_total", **webhook) == failures + 1
