"""The admin pages: stream browser, projections with lag, outbox with retry, webhook log."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from django.test import Client, override_settings
from django.urls import reverse

from forge_suite.eventstore import dispatch, listener
from forge_suite.eventstore.listeners import forget_listener
from forge_suite.eventstore.models import OutboxMessage, ProjectionCheckpoint, StoredEvent
from forge_suite.eventstore.outbox import process_outbox
from tests.eventstore import listeners as L
from tests.eventstore.events import Cart
from tests.eventstore.listeners import OrderPaid

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client_() -> Client:
    user = get_user_model().objects.create_superuser("admin", "a@example.com", "pw")
    client = Client()
    client.force_login(user)
    return client


def test_stream_browser_and_event_detail(admin_client_: Client) -> None:
    from forge_suite.eventstore import Repository

    cart = Cart("c9")
    cart.add("apple", 3)
    Repository(Cart).save(cart)
    page = admin_client_.get(
        reverse("admin:forge_eventstore_storedevent_changelist"), {"q": "cart-c9"}
    )
    assert page.status_code == 200
    assert b"cart-c9" in page.content
    event = StoredEvent.objects.get()
    detail = admin_client_.get(
        reverse("admin:forge_eventstore_storedevent_change", args=[event.pk])
    )
    assert detail.status_code == 200
    assert b"&quot;apple&quot;" in detail.content


@override_settings(FORGE={"EVENTSTORE": {"DISPATCH_ON_COMMIT": False}})
def test_outbox_dead_letters_retry_action(admin_client_: Client) -> None:
    listener(OrderPaid, mode="queued", max_attempts=1)(L.flaky)
    try:
        L.FAILURES_LEFT["count"] = 1
        dispatch(OrderPaid("o1"))
        process_outbox()
        message = OutboxMessage.objects.get()
        assert message.status == "dead"
        url = reverse("admin:forge_eventstore_outboxmessage_changelist")
        page = admin_client_.get(url, {"status__exact": "dead"})
        assert b"receiver down" in page.content
        response = admin_client_.post(
            url, {"action": "retry_selected", "_selected_action": [message.pk]}, follow=True
        )
        assert b"1 message(s) will be delivered again" in response.content
        assert process_outbox().delivered == 1
    finally:
        forget_listener(L.flaky)
        L.CALLS.clear()


def test_projection_status_shows_lag(admin_client_: Client) -> None:
    ProjectionCheckpoint.objects.create(name="order_summary")
    page = admin_client_.get(reverse("admin:forge_eventstore_projectioncheckpoint_changelist"))
    assert page.status_code == 200
    assert b"order_summary" in page.content
    assert b"Lag (events)" in page.content


def test_webhook_pages_render(admin_client_: Client) -> None:
    for name in ("webhookendpoint", "webhookattempt", "snapshot"):
        assert (
            admin_client_.get(reverse(f"admin:forge_eventstore_{name}_changelist")).status_code
            == 200
        )
