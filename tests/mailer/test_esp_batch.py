"""Campaigns through an ESP that batch-sends (anymail's Mailgun backend against a local HTTP
server shaped like Mailgun's API): one API call per batch, each recipient's values as merge
data, no address exposed; the same rows sent one by one get their values filled in."""

from __future__ import annotations

import json
from collections.abc import Iterator
from email.parser import BytesParser
from email.policy import default
from typing import Any
from urllib.parse import parse_qs

import pytest
from django.conf import settings
from django.test import override_settings

from forge_suite.mailer import send_campaign
from forge_suite.mailer.models import OutboundEmail, Status, Suppression
from forge_suite.mailer.outbox import to_message
from forge_suite.mailer.tracking import record_event
from tests.mailer.mailables import MergedNewsletter
from tests.support.http_sink import HttpSink, Request

pytestmark = pytest.mark.django_db
MAILGUN_ID = "<20261130101500.1.ABC@mg.example.com>"


def form(request: Request) -> dict[str, list[str]]:
    """The fields of a form POST (multipart or urlencoded), as Mailgun receives them."""
    kind = request.headers.get("content-type", "")
    if kind.startswith("multipart/form-data"):
        message = BytesParser(policy=default).parsebytes(
            b"Content-Type: " + kind.encode() + b"\r\n\r\n" + request.body
        )
        fields: dict[str, list[str]] = {}
        for part in message.iter_parts():
            name = part.get_param("name", header="content-disposition")
            fields.setdefault(str(name), []).append(part.get_content())
        return fields
    return parse_qs(request.body.decode())


@pytest.fixture
def mailgun() -> Iterator[HttpSink]:
    with HttpSink(lambda request: (200, {"id": MAILGUN_ID, "message": "Queued"})) as sink:
        forge = {
            **settings.FORGE,
            "MAILER": {
                "MAILERS": {"mailgun": {"BACKEND": "anymail.backends.mailgun.EmailBackend"}},
                "BASE_URL": "https://shop.test",
            },
        }
        anymail = {
            "MAILGUN_API_KEY": "key-test",
            "MAILGUN_API_URL": sink.url + "/v3",
            "MAILGUN_SENDER_DOMAIN": "mg.example.com",
        }
        with override_settings(FORGE=forge, ANYMAIL=anymail):
            yield sink


def test_a_campaign_batch_is_one_api_call_with_merge_data(
    mailgun: HttpSink, django_capture_on_commit_callbacks: Any
) -> None:
    Suppression.objects.create(email="cy@example.com", reason="bounced")
    people = {
        "ann@example.com": "Ann",
        "bob@example.com": "Bob <b>&</b>",
        "cy@example.com": "Cy",
    }
    with django_capture_on_commit_callbacks(execute=True):
        campaign = send_campaign(
            MergedNewsletter,
            list(people),
            context=lambda email: {"headline": people[email]},
            using="mailgun",
        )
    [request] = mailgun.requests  # one call for the whole batch
    assert request.path == "/v3/mg.example.com/messages"
    fields = form(request)
    assert sorted(fields["to"]) == ["ann@example.com", "bob@example.com"]  # Cy is suppressed
    [html] = fields["html"]
    assert "%recipient.headline%" in html
    assert "Ann" not in html  # nobody's values in the shared content
    assert "Bob" not in html
    assert fields["subject"] == ["News for %recipient.headline%"]
    variables = json.loads(fields["recipient-variables"][0])
    assert variables["ann@example.com"]["headline"] == "Ann"
    assert variables["bob@example.com"]["headline"] == "Bob &lt;b&gt;&amp;&lt;/b&gt;"  # escaped
    ann, bob = (variables[e]["unsubscribe_url"] for e in ("ann@example.com", "bob@example.com"))
    assert ann != bob
    assert ann.startswith("https://shop.test/")
    rows = {r.to[0]: r for r in OutboundEmail.objects.filter(campaign=campaign)}
    assert set(rows) == {"ann@example.com", "bob@example.com"}
    for email, row in rows.items():
        assert (row.status, row.provider_message_id, row.mailer_used) == (
            Status.SENT,
            MAILGUN_ID,
            "mailgun",
        )
        assert variables[email]["v:forge_message"] == str(row.uuid)  # merge_metadata
        assert row.headers["List-Unsubscribe"] == f"<{variables[email]['unsubscribe_url']}>"
    campaign.refresh_from_db()
    assert (campaign.queued, campaign.skipped) == (2, 1)


def test_an_event_for_a_batch_id_finds_its_recipient(
    mailgun: HttpSink, django_capture_on_commit_callbacks: Any
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        send_campaign(
            MergedNewsletter,
            ["ann@example.com", "bob@example.com"],
            context=lambda email: {"headline": email[:3]},
            using="mailgun",
        )
    event = record_event(
        "bounced", provider_message_id=MAILGUN_ID, recipient="bob@example.com", esp_name="Mailgun"
    )
    assert event.message is not None
    assert event.message.to == ["bob@example.com"]
    assert OutboundEmail.objects.get(to=["ann@example.com"]).status == Status.SENT


def test_a_batch_row_sent_on_its_own_gets_its_values(mailgun: HttpSink) -> None:
    send_campaign(
        MergedNewsletter,
        ["bob@example.com"],
        context=lambda email: {"headline": "Bob <b>"},
        using="mailgun",
    )  # no commit callbacks run: the row stays queued, as after a failed dispatch
    row = OutboundEmail.objects.get()
    message = to_message(row)  # what send_queued() or a retry through another mailer sends
    assert message.subject == "News for Bob <b>"
    assert "Bob <b>" in message.body
    html = message.alternatives[0][0]
    assert "Bob &lt;b&gt;" in html
    assert "%recipient" not in html
    assert row.merge_data["values"]["preferences_url"] in html  # the footer's link


def test_mailers_without_batch_sending_render_each_message(
    smtp_sink: Any, mailers: dict[str, Any], django_capture_on_commit_callbacks: Any
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        send_campaign(
            MergedNewsletter,
            ["ann@example.com", "bob@example.com"],
            context=lambda email: {"headline": email[:3].title()},
        )
    subjects = sorted(str(m["Subject"]) for m in smtp_sink.messages)
    assert subjects == ["News for Ann", "News for Bob"]
    assert OutboundEmail.objects.filter(batch_key="").count() == 2
