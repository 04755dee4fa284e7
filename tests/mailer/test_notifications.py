"""One notification over mail (SMTP sink), database inbox, realtime and a Slack receiver."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from asgiref.sync import sync_to_async
from django.conf import settings
from django.contrib.auth import get_user_model
from django.test import override_settings
from standardwebhooks.webhooks import Webhook

from forge_suite.mailer.models import DatabaseNotification, NotificationDelivery
from forge_suite.mailer.notifications import notify
from forge_suite.mailer.testing import notification_fake
from forge_suite.realtime.signing import channel_auth
from tests.mailer.notifications import WEBHOOK_SECRET, OrderPlaced, Ping
from tests.realtime.test_protocol import APP, KEY, SECRET, Client
from tests.support.http_sink import HttpSink, Request
from tests.support.smtp_sink import SmtpSink

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def receiver() -> Iterator[HttpSink]:
    with HttpSink() as sink:
        yield sink


@pytest.fixture
def realtime_and_mail(
    smtp_sink: SmtpSink, mailers: dict[str, Any], receiver: HttpSink
) -> Iterator[None]:
    from channels.layers import channel_layers

    forge = {**settings.FORGE, "REALTIME": {"APPS": [APP]}}
    layers = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}
    with override_settings(FORGE=forge, CHANNEL_LAYERS=layers):
        channel_layers.backends.clear()
        OrderPlaced.routes = {"slack": receiver.url + "/slack"}
        Ping.routes = {"webhook": receiver.url + "/hook", "discord": receiver.url + "/discord"}
        yield
        channel_layers.backends.clear()


async def test_one_notification_reaches_mail_inbox_realtime_and_slack_then_dedups(
    realtime_and_mail: None, smtp_sink: SmtpSink, receiver: HttpSink
) -> None:
    from forge_suite.realtime.hub import reset_hub

    user = await sync_to_async(get_user_model().objects.create_user)("ann", "ann@example.com", "pw")
    client = Client()
    await client.open()
    channel = f"private-user.{user.pk}"
    ok = await client.subscribe(channel, auth=channel_auth(KEY, SECRET, client.socket_id, channel))
    assert ok["event"] == "pusher_internal:subscription_succeeded"

    deliveries = await sync_to_async(notify)(user, OrderPlaced(order=42))

    frame = await client.recv()
    assert frame["event"] == "notification"
    assert frame["channel"] == channel
    assert frame["data"]["order"] == 42
    assert frame["data"]["kind"] == OrderPlaced.kind()
    states = await sync_to_async(
        lambda: dict(NotificationDelivery.objects.values_list("channel", "state"))
    )()
    assert states == {"mail": "sent", "database": "sent", "broadcast": "sent", "slack": "sent"}
    assert len(deliveries) == 4
    [mail] = smtp_sink.messages
    assert mail["To"].addresses[0].addr_spec == "ann@example.com"
    assert "order 42" in mail.get_body(preferencelist=("html",)).get_content()
    inbox = await sync_to_async(lambda: list(DatabaseNotification.objects.filter(user=user)))()
    assert [n.data for n in inbox] == [{"order": 42}]
    assert inbox[0].read_at is None
    [slack] = receiver.requests
    assert slack.path == "/slack"
    assert slack.json() == {"text": "Order 42 placed by ann"}

    again = await sync_to_async(notify)(user, OrderPlaced(order=42))  # inside the window
    assert again == []
    assert len(smtp_sink.messages) == 1
    assert len(receiver.requests) == 1
    other = await sync_to_async(notify)(user, OrderPlaced(order=43))  # different content
    assert len(other) == 4
    await client.comm.disconnect()
    await reset_hub()


def test_webhook_is_signed_per_standard_webhooks_and_retried_with_the_same_id(
    realtime_and_mail: None, receiver: HttpSink
) -> None:
    answers = iter([503, 200])
    receiver.responder = lambda request: (next(answers), {})
    user = get_user_model().objects.create_user("bo", "bo@example.com", "pw")
    [delivery] = notify(user, Ping(level="high"))
    delivery.refresh_from_db()
    assert delivery.state == "sent"
    assert delivery.attempts == 2
    first, second = receiver.requests
    assert first.headers["webhook-id"] == second.headers["webhook-id"]
    for request in (first, second):
        payload = Webhook(WEBHOOK_SECRET).verify(request.body, request.headers)
        assert payload["type"] == "notification.Ping"
        assert payload["data"] == {"level": "high"}
    tampered = {**second.headers, "webhook-signature": "v1,AAAA"}
    with pytest.raises(Exception, match="No matching signature"):
        Webhook(WEBHOOK_SECRET).verify(second.body, tampered)


def test_a_failing_channel_falls_back_after_its_retries(
    realtime_and_mail: None, receiver: HttpSink
) -> None:
    def respond(request: Request) -> tuple[int, Any]:
        return (500, {}) if request.path == "/hook" else (204, {})

    receiver.responder = respond
    user = get_user_model().objects.create_user("cy", "cy@example.com", "pw")
    [delivery] = notify(user, Ping(level="low"))
    delivery.refresh_from_db()
    assert delivery.state == "failed"
    assert delivery.attempts == 3
    assert "500" in delivery.last_error
    spare = delivery.fallbacks.get()
    assert (spare.channel, spare.state) == ("discord", "sent")
    assert [r.path for r in receiver.requests] == ["/hook"] * 3 + ["/discord"]
    assert json.loads(receiver.requests[-1].body)["content"].startswith("Ping:")


def test_preferences_switch_a_channel_off_and_the_fake_captures(
    realtime_and_mail: None, receiver: HttpSink
) -> None:
    from forge_suite.mailer.models import NotificationPreference

    user = get_user_model().objects.create_user("di", "di@example.com", "pw")
    NotificationPreference.objects.create(
        user=user, kind=OrderPlaced.kind(), channel="slack", enabled=False
    )
    NotificationPreference.objects.create(user=user, kind="*", channel="mail", enabled=False)
    deliveries = notify(user, OrderPlaced(order=1))
    assert sorted(d.channel for d in deliveries) == ["broadcast", "database"]
    assert receiver.requests == []

    with notification_fake() as fake:
        notify(user, OrderPlaced(order=2))
    fake.assert_sent_to(
        user, OrderPlaced, count=1, channels=["mail", "database", "broadcast", "slack"]
    )
    fake.assert_not_sent_to(user, Ping)
    with pytest.raises(AssertionError, match="Ping was not sent"):
        fake.assert_sent_to(user, Ping)
    assert NotificationDelivery.objects.count() == 2


def test_a_gone_webhook_endpoint_is_not_retried_and_the_fallback_takes_over(
    realtime_and_mail: None, receiver: HttpSink
) -> None:
    def respond(request: Request) -> tuple[int, Any]:
        return (410, {}) if request.path == "/hook" else (204, {})

    receiver.responder = respond
    user = get_user_model().objects.create_user("ed", "ed@example.com", "pw")
    [delivery] = notify(user, Ping(level="gone"))
    delivery.refresh_from_db()
    assert (delivery.state, delivery.attempts) == ("failed", 1)
    assert "410" in delivery.last_error
    assert delivery.fallbacks.get().state == "sent"
    assert [r.path for r in receiver.requests] == ["/hook", "/discord"]
