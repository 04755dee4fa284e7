"""RFC 8058 one-click unsubscribe, the preferences page, suppression, open and click links."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.test import Client, override_settings

from forge_suite.mailer.models import EmailEvent, Status, Suppression, Unsubscription
from forge_suite.mailer.signals import unsubscribed
from tests.mailer.mailables import Newsletter, Welcome
from tests.support.smtp_sink import SmtpSink

pytestmark = pytest.mark.django_db


def _unsubscribe_path(sink: SmtpSink, index: int = 0) -> str:
    header = str(sink.messages[index]["List-Unsubscribe"])
    return re.search(r"<https://shop\.test(/mail/unsubscribe/[^>]+)>", header).group(1)


def test_one_click_post_unsubscribes_without_login_and_later_list_mail_is_skipped(
    smtp_sink: SmtpSink, mailers: dict[str, Any]
) -> None:
    Newsletter(headline="One").to("ann@example.com").send()
    path = _unsubscribe_path(smtp_sink)
    events: list[tuple[str, str]] = []

    def listener(sender: Any, email: str, list_name: str, **kwargs: Any) -> None:
        events.append((email, list_name))

    unsubscribed.connect(listener)
    try:
        client = Client(enforce_csrf_checks=True)
        # A GET (link scanners prefetch) only shows a confirmation page.
        page = client.get(path)
        assert page.status_code == 200
        assert b"Unsubscribe" in page.content
        assert not Unsubscription.objects.exists()
        # The mail client's one-click POST, multipart as RFC 8058 recommends: no redirect.
        response = client.post(path, {"List-Unsubscribe": "One-Click"})
        assert response.status_code == 200
        # urlencoded works too, and a repeat is harmless.
        again = client.post(
            path,
            "List-Unsubscribe=One-Click",
            content_type="application/x-www-form-urlencoded",
        )
        assert again.status_code == 200
    finally:
        unsubscribed.disconnect(listener)
    assert events == [("ann@example.com", "newsletter")]
    assert Unsubscription.objects.filter(email="ann@example.com", list_name="newsletter").exists()

    skipped = Newsletter(headline="Two").to("ann@example.com").send()
    assert skipped.status == Status.SUPPRESSED
    transactional = Welcome(name="Ann").to("ann@example.com").send()
    assert transactional.status == Status.SENT  # not a list mail: still delivered
    assert len(smtp_sink.messages) == 2


def test_a_tampered_token_is_refused(smtp_sink: SmtpSink, mailers: dict[str, Any]) -> None:
    Newsletter(headline="One").to("ann@example.com").send()
    path = _unsubscribe_path(smtp_sink)
    token = path.rstrip("/").rsplit("/", 1)[1]
    forged = token[:-2] + ("AA" if not token.endswith("AA") else "BB")
    response = Client().post(f"/mail/unsubscribe/{forged}/", {"List-Unsubscribe": "One-Click"})
    assert response.status_code == 400
    assert b"invalid" in response.content
    other_row = "0" * 32 + token[32:]
    assert Client().post(f"/mail/unsubscribe/{other_row}/").status_code == 400
    assert not Unsubscription.objects.exists()


def test_preferences_page_lists_the_lists_and_saves_choices(
    smtp_sink: SmtpSink, mailers: dict[str, Any]
) -> None:
    Newsletter(headline="One").to("ann@example.com").send()
    html = smtp_sink.messages[0].get_body(preferencelist=("html",)).get_content()
    path = re.search(r'href="https://shop\.test(/mail/preferences/[^"]+)"', html).group(1)
    client = Client()
    page = client.get(path)
    assert page.status_code == 200
    assert b'value="newsletter" checked' in page.content
    saved = client.post(path, {})  # nothing ticked: leave every list
    assert saved.status_code == 200
    assert b'value="newsletter" checked' not in saved.content
    assert Unsubscription.objects.filter(email="ann@example.com", list_name="newsletter").exists()
    client.post(path, {"lists": ["newsletter"]})  # back on the list
    assert not Unsubscription.objects.exists()
    assert client.post(path, {"lists": ["bogus"]}).status_code == 400


def test_a_suppressed_address_is_skipped_and_the_others_still_get_the_mail(
    smtp_sink: SmtpSink, mailers: dict[str, Any]
) -> None:
    Suppression.objects.create(email="gone@example.com", reason="manual")
    row = Welcome(name="x").to("gone@example.com", "ann@example.com").send()
    assert row.status == Status.SENT
    assert smtp_sink.envelopes[0][1] == ["ann@example.com"]
    alone = Welcome(name="x").to("GONE@example.com").send()
    assert alone.status == Status.SUPPRESSED
    assert len(smtp_sink.messages) == 1


def test_open_pixel_and_signed_click_redirects_for_plain_smtp(
    smtp_sink: SmtpSink, mailers: dict[str, Any]
) -> None:
    from django.conf import settings

    forge = {**settings.FORGE}
    forge["MAILER"] = {**forge["MAILER"], "TRACK_OPENS": True, "TRACK_CLICKS": True}
    with override_settings(FORGE=forge):
        row = Newsletter(headline="One").to("ann@example.com").send()
    html = smtp_sink.messages[0].get_body(preferencelist=("html",)).get_content()
    assert "https://shop.test/news" not in html  # rewritten to a redirect
    pixel = re.search(r'src="https://shop\.test(/mail/o/[^"]+)"', html).group(1)
    click = re.search(r'href="https://shop\.test(/mail/c/[^"]+)"', html).group(1)
    client = Client()
    assert client.get(pixel)["Content-Type"] == "image/gif"
    response = client.get(click)
    assert response.status_code == 302
    assert response["Location"] == "https://shop.test/news"
    row.refresh_from_db()
    assert row.status == Status.CLICKED
    assert list(EmailEvent.objects.order_by("id").values_list("event_type", "click_url")) == [
        ("opened", ""),
        ("clicked", "https://shop.test/news"),
    ]
    tampered = click.replace(click.rstrip("/")[-3:], "xyz")
    assert client.get(tampered).status_code == 400


def test_a_token_of_a_transactional_mail_cannot_unsubscribe_anybody(
    mailers: dict[str, Any],
) -> None:
    from forge_suite.mailer.tokens import sign_message

    row = Welcome(name="Ann").to("ann@example.com").send()
    token = sign_message(row.uuid)  # validly signed, but the mail belongs to no list
    response = Client().post(f"/mail/unsubscribe/{token}/")
    assert response.status_code == 400
    assert b"no mailing list" in response.content
    assert not Unsubscription.objects.exists()
