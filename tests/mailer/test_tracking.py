"""An anymail ESP (Postmark) against a local HTTP server standing in for its API, and
Postmark's real webhook payloads through anymail's tracking view."""

from __future__ import annotations

import base64
import json
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from django.conf import settings
from django.test import Client, override_settings

from forge_suite.mailer.models import EmailEvent, OutboundEmail, Status, Suppression
from forge_suite.mailer.signals import message_event
from tests.mailer.mailables import OrderShipped, Welcome
from tests.support.http_sink import HttpSink, Request

pytestmark = pytest.mark.django_db

SECRET = "hook-user:hook-pass"


def postmark_api(request: Request) -> tuple[int, Any]:
    payload = request.json()
    return 200, {
        "To": payload["To"],
        "SubmittedAt": "2026-11-29T10:00:00.0000000Z",
        "MessageID": str(uuid.uuid4()),
        "ErrorCode": 0,
        "Message": "OK",
    }


@pytest.fixture
def postmark() -> Iterator[HttpSink]:
    with HttpSink(postmark_api) as sink:
        forge = {
            **settings.FORGE,
            "MAILER": {
                "MAILERS": {"postmark": {"BACKEND": "anymail.backends.postmark.EmailBackend"}}
            },
        }
        anymail = {
            "POSTMARK_SERVER_TOKEN": "server-token",
            "POSTMARK_API_URL": sink.url + "/",
            "WEBHOOK_SECRET": SECRET,
        }
        with override_settings(FORGE=forge, ANYMAIL=anymail):
            yield sink


def webhook(payload: dict[str, Any], secret: str = SECRET) -> Any:
    auth = base64.b64encode(secret.encode()).decode()
    return Client().post(
        "/anymail/postmark/tracking/",
        data=json.dumps(payload),
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Basic {auth}",
    )


def test_postmark_api_receives_the_message_and_its_id_is_stored(postmark: HttpSink) -> None:
    row = OrderShipped(order="B-2", items=[]).to("ann@example.com").send(using="postmark")
    [request] = postmark.requests
    assert request.path == "/email"
    assert request.headers["x-postmark-server-token"] == "server-token"
    body = request.json()
    assert body["To"] == "ann@example.com"
    assert body["Subject"] == "Order B-2 shipped"
    assert "Order B-2 shipped" in body["HtmlBody"]
    assert "Order B-2 shipped" in body["TextBody"]
    assert body["Tag"] == "orders"
    assert body["Metadata"] == {"kind": "order"}
    assert {h["Name"]: h["Value"] for h in body["Headers"]}["Message-ID"] == row.message_id
    names = sorted(a["Name"] for a in body["Attachments"])
    assert names == ["invoice.pdf", "logo.png"]
    inline = next(a for a in body["Attachments"] if a["Name"] == "logo.png")
    assert inline["ContentID"].startswith("cid:")
    assert row.status == Status.SENT
    assert row.mailer_used == "postmark"
    assert row.provider_message_id
    assert uuid.UUID(row.provider_message_id)


def test_postmark_delivery_open_and_click_webhooks_move_the_message_forward(
    postmark: HttpSink,
) -> None:
    row = Welcome(name="Ann").to("ann@example.com").send(using="postmark")
    seen: list[str] = []

    def listener(sender: Any, event: EmailEvent, **kwargs: Any) -> None:
        seen.append(event.event_type)

    message_event.connect(listener)
    try:
        delivery = {
            "RecordType": "Delivery",
            "ServerID": 23,
            "MessageStream": "outbound",
            "MessageID": row.provider_message_id,
            "Recipient": "ann@example.com",
            "Tag": "welcome-email",
            "DeliveredAt": "2026-11-29T16:33:54.9070259Z",
            "Details": "Test delivery webhook details",
            "Metadata": {"a_key": "a_value"},
        }
        assert webhook(delivery).status_code == 200
        row.refresh_from_db()
        assert row.status == Status.DELIVERED
        opened = {
            "RecordType": "Open",
            "MessageStream": "outbound",
            "FirstOpen": True,
            "Client": {"Name": "Chrome", "Company": "Google", "Family": "Chrome"},
            "OS": {"Name": "Linux", "Company": "-", "Family": "Linux"},
            "Platform": "WebMail",
            "UserAgent": "Mozilla/5.0",
            "ReadSeconds": 5,
            "Geo": {},
            "MessageID": row.provider_message_id,
            "Metadata": {},
            "ReceivedAt": "2026-11-29T16:35:00Z",
            "Tag": "welcome-email",
            "Recipient": "ann@example.com",
        }
        assert webhook(opened).status_code == 200
        # A late delivery event never moves an opened message back.
        assert webhook({**delivery, "DeliveredAt": "2026-11-29T16:36:00Z"}).status_code == 200
    finally:
        message_event.disconnect(listener)
    row.refresh_from_db()
    assert row.status == Status.OPENED
    assert seen == ["delivered", "opened", "delivered"]
    assert list(row.events.order_by("id").values_list("event_type", flat=True)) == seen
    assert row.events.first().raw["RecordType"] in {"Delivery", "Open"}


def test_hard_bounce_suppresses_the_address_and_the_next_send_is_skipped(
    postmark: HttpSink,
) -> None:
    row = Welcome(name="Ann").to("Ann <ann@example.com>").send(using="postmark")
    bounce = {
        "RecordType": "Bounce",
        "MessageStream": "outbound",
        "ID": 4323372036854775807,
        "Type": "HardBounce",
        "TypeCode": 1,
        "Name": "Hard bounce",
        "Tag": "Test",
        "MessageID": row.provider_message_id,
        "Metadata": {},
        "ServerID": 23,
        "Description": "The server was unable to deliver your message.",
        "Details": "smtp;550 5.1.1 The email account does not exist.",
        "Email": "ann@example.com",
        "From": "sender@example.com",
        "BouncedAt": "2026-11-29T16:33:54.9070259Z",
        "DumpAvailable": True,
        "Inactive": True,
        "CanActivate": True,
        "Subject": "Test subject",
    }
    assert webhook(bounce).status_code == 200
    assert webhook(bounce).status_code == 200  # the ESP retries its webhook: recorded once
    assert EmailEvent.objects.filter(event_type="bounced").count() == 1
    row.refresh_from_db()
    assert row.status == Status.BOUNCED
    assert Suppression.objects.get(email="ann@example.com").reason == "bounced"

    again = Welcome(name="Ann").to("ann@example.com").send(using="postmark")
    assert again.status == Status.SUPPRESSED
    assert len(postmark.requests) == 1  # the provider was not called for the suppressed one


def test_spam_complaint_suppresses_the_address(postmark: HttpSink) -> None:
    row = Welcome(name="Bo").to("bo@example.com").send(using="postmark")
    complaint = {
        "RecordType": "SpamComplaint",
        "MessageStream": "outbound",
        "ID": 42,
        "Type": "SpamComplaint",
        "TypeCode": 512,
        "Name": "Spam complaint",
        "Tag": "",
        "MessageID": row.provider_message_id,
        "Metadata": {},
        "ServerID": 23,
        "Description": "The subscriber explicitly marked this message as spam.",
        "Details": "Test spam complaint details",
        "Email": "bo@example.com",
        "From": "sender@example.com",
        "BouncedAt": "2026-11-29T16:33:54.9070259Z",
        "Subject": "Test subject",
    }
    assert webhook(complaint).status_code == 200
    row.refresh_from_db()
    assert row.status == Status.COMPLAINED
    assert Suppression.objects.get(email="bo@example.com").reason == "complained"


def test_a_webhook_with_a_bad_secret_is_refused_and_records_nothing(postmark: HttpSink) -> None:
    row = Welcome(name="Ann").to("ann@example.com").send(using="postmark")
    delivery = {
        "RecordType": "Delivery",
        "MessageID": row.provider_message_id,
        "Recipient": "ann@example.com",
        "DeliveredAt": "2026-11-29T16:33:54Z",
    }
    response = webhook(delivery, secret="hook-user:wrong")
    assert response.status_code == 400
    assert not EmailEvent.objects.exists()
    row.refresh_from_db()
    assert row.status == Status.SENT
    unauthenticated = Client().post(
        "/anymail/postmark/tracking/", data=json.dumps(delivery), content_type="application/json"
    )
    assert unauthenticated.status_code == 400
    assert OutboundEmail.objects.get(pk=row.pk).status == Status.SENT
