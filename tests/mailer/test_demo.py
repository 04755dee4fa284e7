"""The example project's mail demo: welcome on sign-up, order confirmation with a PDF,
the newsletter campaign and the notification bell."""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.test import Client

from example_project.maildemo.mailables import OrderConfirmation, WelcomeMail, invoice_pdf
from forge_suite.mailer.models import Campaign, DatabaseNotification, OutboundEmail
from forge_suite.mailer.testing import mail_fake
from tests.support.smtp_sink import SmtpSink

pytestmark = pytest.mark.django_db


def test_sign_up_queues_the_welcome_mail() -> None:
    with mail_fake() as mail:
        response = Client().post("/mail-demo/signup/", {"email": "Ann@Example.com"})
    assert response.status_code == 302
    mail.assert_queued(WelcomeMail, to="ann@example.com")
    bad = Client().post("/mail-demo/signup/", {"email": "nope"})
    assert bad.status_code == 400


def test_order_confirmation_arrives_with_its_pdf_and_the_bell_rings(
    smtp_sink: SmtpSink, mailers: dict[str, Any], django_capture_on_commit_callbacks: Any
) -> None:
    user = get_user_model().objects.create_user("bo", "bo@example.com", "pw")
    client = Client()
    client.force_login(user)
    with django_capture_on_commit_callbacks(execute=True):
        assert client.post("/mail-demo/ship/").status_code == 400  # no order yet
        assert client.post("/mail-demo/order/").status_code == 302
        assert client.post("/mail-demo/ship/").status_code == 302
    [received] = smtp_sink.messages
    assert received["Subject"].startswith("Your order DEMO-")
    [pdf] = list(received.iter_attachments())
    assert pdf.get_content_type() == "application/pdf"
    assert pdf.get_content().startswith(b"%PDF-1.4")
    assert pdf.get_content().rstrip().endswith(b"%%EOF")
    [bell] = DatabaseNotification.objects.filter(user=user)
    assert bell.data["text"].endswith("has shipped")
    page = client.get("/mail-demo/")
    assert b"has shipped" in page.content


def test_newsletter_is_staff_only_and_goes_to_every_user(
    smtp_sink: SmtpSink, mailers: dict[str, Any], django_capture_on_commit_callbacks: Any
) -> None:
    users = get_user_model().objects
    staff = users.create_user("st", "st@example.com", "pw", is_staff=True)
    plain = users.create_user("pl", "pl@example.com", "pw")
    client = Client()
    client.force_login(plain)
    assert client.post("/mail-demo/newsletter/").status_code == 403
    client.force_login(staff)
    with django_capture_on_commit_callbacks(execute=True):
        assert client.post("/mail-demo/newsletter/").status_code == 302
    assert Campaign.objects.get().queued == 2
    assert sorted(r[0] for _, r in smtp_sink.envelopes) == ["pl@example.com", "st@example.com"]
    assert OutboundEmail.objects.filter(list_name="newsletter").count() == 2


def test_invoice_pdf_is_well_formed() -> None:
    pdf = invoice_pdf("X-1", {"total": "3.00"})
    assert b"/Type /Catalog" in pdf
    startxref = int(pdf.rsplit(b"startxref\n", 1)[1].split(b"\n")[0])
    assert pdf[startxref:].startswith(b"xref")
    assert OrderConfirmation.preview_context["number"] == "DEMO-1"
