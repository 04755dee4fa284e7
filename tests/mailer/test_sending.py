"""Mailables through Django's SMTP backend to a real aiosmtpd server on loopback."""

from __future__ import annotations

from typing import Any

import pytest
from django.core import mail
from django.test import override_settings

from forge_suite.mailer.exceptions import InvalidMailable, MailerDoesNotExist
from forge_suite.mailer.mailers import get_mailer
from forge_suite.mailer.models import OutboundEmail, Status
from tests.mailer.mailables import LOGO, Newsletter, OrderShipped, Welcome
from tests.support.smtp_sink import SmtpSink

pytestmark = pytest.mark.django_db


def test_html_text_inlined_css_attachment_and_cid_image_reach_the_smtp_server(
    smtp_sink: SmtpSink, mailers: dict[str, Any]
) -> None:
    row = (
        OrderShipped(order="A-17", items=[("Mug", 2), ("Tea", 1)])
        .to("ann@example.com")
        .cc("boss@example.com")
        .bcc("audit@example.com")
        .reply_to("help@shop.test")
        .send()
    )
    assert row.status == Status.SENT
    assert row.mailer_used == "smtp"
    [received] = smtp_sink.messages
    assert received["Subject"] == "Order A-17 shipped"
    assert received["Message-ID"] == row.message_id
    assert received["Reply-To"] == "help@shop.test"
    assert "Bcc" not in received
    assert sorted(smtp_sink.envelopes[0][1]) == [
        "ann@example.com",
        "audit@example.com",
        "boss@example.com",
    ]
    text = received.get_body(preferencelist=("plain",)).get_content()
    html = received.get_body(preferencelist=("html",)).get_content()
    assert "Order A-17 shipped" in text
    assert "Track it" in text
    assert "https://shop.test/orders/1" in text
    assert "<style" not in html  # inlined, style tags dropped
    assert 'class="button"' in html
    assert "background-color: #2563eb" in html
    cid_part = next(p for p in received.walk() if p["Content-ID"])
    cid = str(cid_part["Content-ID"]).strip("<>")
    assert f'src="cid:{cid}"' in html
    assert cid_part.get_content_disposition() == "inline"
    assert cid_part.get_content() == LOGO.read_bytes()
    [pdf] = [p for p in received.iter_attachments() if p.get_filename() == "invoice.pdf"]
    assert pdf.get_content_type() == "application/pdf"
    assert pdf.get_content() == b"%PDF-1.4 invoice"


def test_markdown_mail_renders_into_the_layout_in_the_recipients_language(
    smtp_sink: SmtpSink, mailers: dict[str, Any]
) -> None:
    Welcome(name="Zoé").to("zoe@example.com").locale("fr").send()
    Welcome(name="Ann").to("ann@example.com").send()
    fr, en = smtp_sink.messages
    fr_html = fr.get_body(preferencelist=("html",)).get_content()
    assert "<h1" in fr_html
    assert "Bienvenue, Zoé" in fr_html
    assert "<strong" in fr_html
    assert 'lang="fr"' in fr_html
    assert fr["Subject"] == "Accueil"
    assert "Bienvenue, Zoé" in fr.get_body(preferencelist=("plain",)).get_content()
    assert en["Subject"] == "Home"
    assert "Welcome, Ann" in en.get_body(preferencelist=("html",)).get_content()


def test_list_mail_carries_one_click_unsubscribe_headers(
    smtp_sink: SmtpSink, mailers: dict[str, Any]
) -> None:
    row = Newsletter(headline="Spring").to("ann@example.com").send()
    [received] = smtp_sink.messages
    header = str(received["List-Unsubscribe"]).strip()
    assert header.startswith("<https://shop.test/mail/unsubscribe/")
    assert header.endswith(">")
    assert "ann" not in header  # opaque: no address in the token
    assert str(received["List-Unsubscribe-Post"]) == "List-Unsubscribe=One-Click"
    html = received.get_body(preferencelist=("html",)).get_content()
    assert "https://shop.test/mail/preferences/" in html
    assert row.list_name == "newsletter"


def test_failover_uses_the_secondary_when_the_primary_port_is_closed(
    smtp_sink: SmtpSink, mailers: dict[str, Any]
) -> None:
    row = Welcome(name="Ann").to("ann@example.com").using("failover").send()
    assert row.status == Status.SENT
    assert row.mailer == "failover"
    assert row.mailer_used == "smtp"
    assert len(smtp_sink.messages) == 1


def test_round_robin_alternates_and_passes_over_a_dead_mailer(
    smtp_sink: SmtpSink, mailers: dict[str, Any]
) -> None:
    from django.conf import settings

    from tests.mailer.conftest import smtp_mailer

    with SmtpSink() as second:
        config = {
            **mailers,
            "smtp2": smtp_mailer(second.port),
            "pair": {
                "BACKEND": "forge_suite.mailer.backends.RoundRobinBackend",
                "OPTIONS": {"mailers": ["smtp", "smtp2"]},
            },
        }
        forge = {**settings.FORGE}
        forge["MAILER"] = {**forge["MAILER"], "MAILERS": config}
        with override_settings(FORGE=forge):
            used = [
                Welcome(name=str(i)).to("a@x.io").send(using="pair").mailer_used for i in range(4)
            ]
            assert sorted(used) == ["smtp", "smtp", "smtp2", "smtp2"]
            assert len(smtp_sink.messages) == len(second.messages) == 2
            # "roundrobin" is smtp + a dead mailer: every message still goes out through smtp.
            rows = [Welcome(name=str(i)).to("b@x.io").send(using="roundrobin") for i in range(4)]
    assert all(r.status == Status.SENT and r.mailer_used == "smtp" for r in rows)
    assert len(smtp_sink.messages) == 6


def test_a_message_that_no_mailer_can_send_is_failed_with_the_errors(
    mailers: dict[str, Any],
) -> None:
    row = Welcome(name="Ann").to("ann@example.com").send(using="dead")
    assert row.status == Status.FAILED
    assert "ConnectionRefusedError" in row.last_error


def test_default_alias_is_emails_backend_on_this_django_and_unknown_alias_is_refused() -> None:
    if not hasattr(mail, "mailers"):
        assert type(get_mailer()).__module__ == "django.core.mail.backends.locmem"
    with pytest.raises(MailerDoesNotExist, match="No mailer 'nope'"):
        get_mailer("nope")


def test_send_through_the_default_mailer_lands_in_djangos_test_outbox() -> None:
    row = Welcome(name="Ann").to("ann@example.com").send()
    assert row.status == Status.SENT
    assert [m.subject for m in mail.outbox] == ["Home"]
    assert OutboundEmail.objects.get().message_id == mail.outbox[0].extra_headers["Message-ID"]


def test_a_mailable_without_recipient_or_content_is_refused() -> None:
    with pytest.raises(InvalidMailable, match="no recipient"):
        Welcome(name="x").send()

    class Empty(OrderShipped):
        template = None

    with pytest.raises(InvalidMailable, match="neither template nor markdown"):
        Empty().to("a@example.com").render()


@override_settings(LANGUAGE_CODE="en")
def test_a_user_object_is_a_recipient_with_name_and_language(
    smtp_sink: SmtpSink, mailers: dict[str, Any]
) -> None:
    class User:
        email = "zoe@example.com"
        language = "fr"

        def get_full_name(self) -> str:
            return "Zoé Martin"

    Welcome(name="Zoé").to(User()).send()
    [received] = smtp_sink.messages
    assert received["Subject"] == "Accueil"
    assert received["To"].addresses[0].display_name == "Zoé Martin"


def test_sent_and_failed_mail_are_recorded_in_the_suite_metrics(
    smtp_sink: SmtpSink, mailers: dict[str, Any]
) -> None:
    from forge_suite.core.metrics import NullMetrics, install_metrics

    class Recorder(NullMetrics):
        def __init__(self) -> None:
            self.mails: list[tuple[str, str]] = []

        def record_mail(self, provider: str, status: str) -> None:
            self.mails.append((provider, status))

    recorder = Recorder()
    previous = install_metrics(recorder)
    try:
        Welcome(name="a").to("a@example.com").send(using="failover")
        Welcome(name="b").to("b@example.com").send(using="dead")
    finally:
        install_metrics(previous)
    assert recorder.mails == [("smtp", "sent"), ("dead", "failed")]


def test_attachments_from_a_storage_disk_and_a_missing_file_is_a_clear_error(
    smtp_sink: SmtpSink, mailers: dict[str, Any]
) -> None:
    from django.core.files.base import ContentFile
    from django.core.files.storage import storages

    from forge_suite.mailer import Attachment

    name = storages["default"].save("invoices/inv-1.pdf", ContentFile(b"%PDF-1.4 stored"))
    Welcome(name="Ann").to("ann@example.com").attach(Attachment.from_storage(name)).send()
    [pdf] = list(smtp_sink.messages[0].iter_attachments())
    assert pdf.get_filename() == "inv-1.pdf"
    assert pdf.get_content() == b"%PDF-1.4 stored"
    with pytest.raises(InvalidMailable, match=r"cannot attach 'nope\.pdf' from disk 'default'"):
        Attachment.from_storage("nope.pdf")
    with pytest.raises(InvalidMailable, match="cannot attach"):
        Attachment.from_path("/nonexistent/file.pdf")
