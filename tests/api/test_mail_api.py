"""Sending a registered Mailable through the API and reading its status and events."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from tests.api.conftest import MachineClient

pytestmark = [
    pytest.mark.needs_apps("forge_suite.api", "forge_suite.mailer"),
    pytest.mark.django_db(transaction=True),
]


def test_send_a_registered_mailable_then_read_its_status_and_events(
    machine_client: Callable[..., MachineClient],
) -> None:
    from forge_suite.mailer.models import EmailEvent, OutboundEmail

    client = machine_client()
    session = client.session(["mail:send", "mail:read"])
    api = f"{client.base}/api/v1/mail/"
    names = [row["mailable"] for row in session.get(f"{api}mailables/").json()]
    assert names == ["tests.mailer.mailables.Welcome", "tests.mailer.mailables.OrderShipped"]

    sent = session.post(
        f"{api}messages/",
        json={
            "mailable": "tests.mailer.mailables.OrderShipped",
            "to": ["ann@example.com"],
            "context": {"order": "A-7", "items": [["Mug", 2]]},
        },
    )
    assert sent.status_code == 202, sent.content
    message_id = sent.json()["id"]
    row = OutboundEmail.objects.get(uuid=message_id)
    assert row.to == ["ann@example.com"]
    assert row.subject == "Order A-7 shipped"
    EmailEvent.objects.create(message=row, event_type="delivered", recipient="ann@example.com")

    status = session.get(f"{api}messages/{message_id}/").json()
    assert status["subject"] == "Order A-7 shipped"
    assert status["status"] == row.status
    assert [e["event_type"] for e in status["events"]] == ["delivered"]


def test_only_registered_mailables_and_valid_recipients_are_accepted(
    machine_client: Callable[..., MachineClient],
) -> None:
    client = machine_client()
    session = client.session(["mail:send"])
    messages = f"{client.base}/api/v1/mail/messages/"
    welcome = "tests.mailer.mailables.Welcome"
    for body, field in (
        ({"mailable": "tests.mailer.mailables.Newsletter", "to": ["a@example.com"]}, "mailable"),
        ({"mailable": "os.system", "to": ["a@example.com"]}, "mailable"),
        ({"mailable": welcome, "to": []}, "to"),
        ({"mailable": welcome, "to": ["not an address"]}, "to"),
        ({"mailable": welcome, "to": [f"u{i}@example.com" for i in range(51)]}, "to"),
        ({"mailable": welcome, "to": ["a@example.com"], "context": [1]}, "context"),
    ):
        response = session.post(messages, json=body)
        assert response.status_code == 400, (body, response.content)
        assert field in response.json()
    reader = client.session(["mail:read"])
    refused = reader.post(messages, json={"mailable": welcome, "to": ["a@example.com"]})
    assert refused.status_code == 403
