"""Admin pages, the inbox API, system checks, the command and the 6.1 mailers path."""

from __future__ import annotations

from io import StringIO
from typing import Any

import django.core.mail
import pytest
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.mail.backends.locmem import EmailBackend as LocmemBackend
from django.core.management import call_command
from django.core.management.base import CommandError
from django.test import Client, override_settings
from django.utils import timezone

from forge_suite.mailer.checks import check_mailers
from forge_suite.mailer.mailers import get_mailer, has_native_mailers, mailer_aliases
from forge_suite.mailer.models import DatabaseNotification, OutboundEmail, Status
from tests.mailer.mailables import OrderShipped, Welcome
from tests.support.smtp_sink import SmtpSink

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client() -> Client:
    user = get_user_model().objects.create_superuser("admin", "admin@example.com", "pw")
    client = Client()
    client.force_login(user)
    return client


def test_admin_lists_mailables_and_previews_html_and_text(admin_client: Client) -> None:
    page = admin_client.get("/admin/forge_mailer/outboundemail/mailables/")
    assert page.status_code == 200
    assert b"tests.mailer.mailables.OrderShipped" in page.content
    path = "tests.mailer.mailables.OrderShipped"
    chosen = admin_client.get("/admin/forge_mailer/outboundemail/mailables/", {"mailable": path})
    assert b"Order A-1 shipped" in chosen.content  # subject from the preview context
    assert b"Mug" in chosen.content  # the text part
    html = admin_client.get(
        "/admin/forge_mailer/outboundemail/mailables/", {"mailable": path, "part": "html"}
    )
    assert b"background-color: #2563eb" in html.content  # CSS inlined
    text = admin_client.get(
        "/admin/forge_mailer/outboundemail/mailables/", {"mailable": path, "part": "text"}
    )
    assert text["Content-Type"].startswith("text/plain")
    missing = admin_client.get(
        "/admin/forge_mailer/outboundemail/mailables/", {"mailable": "nope", "part": "html"}
    )
    assert missing.status_code == 404


def test_admin_dashboard_detail_preview_and_resend(
    admin_client: Client, smtp_sink: SmtpSink, mailers: dict[str, Any]
) -> None:
    row = OrderShipped(order="D-4", items=[]).to("ann@example.com").send()
    Welcome(name="x").to("b@example.com").send(using="dead")
    dashboard = admin_client.get("/admin/forge_mailer/outboundemail/dashboard/")
    assert dashboard.status_code == 200
    assert b"<td>sent</td><td>1</td>" in dashboard.content
    assert b"<td>failed</td><td>1</td>" in dashboard.content
    listing = admin_client.get("/admin/forge_mailer/outboundemail/", {"status": "sent"})
    assert b"Order D-4 shipped" in listing.content
    assert b'href="/admin/forge_mailer/outboundemail/dashboard/"' in listing.content
    assert b'href="/admin/forge_mailer/outboundemail/mailables/"' in listing.content
    detail = admin_client.get(f"/admin/forge_mailer/outboundemail/{row.pk}/change/")
    assert detail.status_code == 200
    preview = admin_client.get(f"/admin/forge_mailer/outboundemail/{row.pk}/preview/")
    assert b"Order D-4 shipped" in preview.content
    response = admin_client.post(
        "/admin/forge_mailer/outboundemail/",
        {"action": "resend", "_selected_action": [row.pk]},
    )
    assert response.status_code == 302
    assert OutboundEmail.objects.filter(subject="Order D-4 shipped").count() == 2


def test_inbox_api_lists_only_my_notifications_and_marks_them_read() -> None:
    users = get_user_model().objects
    ann, bob = users.create_user("ann", "a@x.io", "pw"), users.create_user("bob", "b@x.io", "pw")
    mine = DatabaseNotification.objects.create(user=ann, kind="k", data={"n": 1})
    DatabaseNotification.objects.create(user=ann, kind="k", data={"n": 2})
    theirs = DatabaseNotification.objects.create(user=bob, kind="k", data={"n": 3})
    assert Client().get("/api/notifications/").status_code in {401, 403}
    client = Client()
    client.force_login(ann)
    listing = client.get("/api/notifications/", HTTP_ACCEPT="application/json")
    assert listing.status_code == 200
    assert listing["X-Unread-Count"] == "2"
    assert sorted(n["data"]["n"] for n in listing.json()) == [1, 2]
    read = client.post(f"/api/notifications/{mine.pk}/read/", HTTP_ACCEPT="application/json")
    assert read.json()["is_read"] is True
    assert client.post(f"/api/notifications/{theirs.pk}/read/").status_code == 404
    unread = client.get("/api/notifications/?unread=1", HTTP_ACCEPT="application/json")
    assert [n["data"]["n"] for n in unread.json()] == [2]
    assert client.post("/api/notifications/read-all/").json() == {"marked": 1}
    theirs.refresh_from_db()
    assert theirs.read_at is None


def test_checks_name_unknown_default_and_composite_aliases() -> None:
    assert check_mailers() == []
    forge = {
        **settings.FORGE,
        "MAILER": {
            "DEFAULT_MAILER": "nope",
            "BASE_URL": "example.com",
            "MAILERS": {
                "pool": {
                    "BACKEND": "forge_suite.mailer.backends.FailoverBackend",
                    "OPTIONS": {"mailers": ["ghost", "pool"]},
                }
            },
        },
    }
    with override_settings(FORGE=forge):
        ids = sorted(e.id for e in check_mailers())
    expected = ["forge_mailer.E001", "forge_mailer.E002", "forge_mailer.E003"]
    if has_native_mailers():  # Django 6.1: FORGE's MAILERS also get the "move them" warning
        expected.append("forge_mailer.W001")
    assert ids == expected


def test_send_queued_command_sends_with_a_progress_bar_and_refuses_a_bad_limit(
    smtp_sink: SmtpSink, mailers: dict[str, Any]
) -> None:
    for i in range(3):
        Welcome(name=str(i)).to(f"u{i}@example.com").later(0.0)
    OutboundEmail.objects.update(scheduled_at=timezone.now())
    out = StringIO()
    call_command("mail_send_queued", "--recover", stdout=out, stderr=StringIO())
    assert "3 message(s) processed" in out.getvalue()
    assert OutboundEmail.objects.filter(status=Status.SENT).count() == 3
    assert len(smtp_sink.messages) == 3
    with pytest.raises(CommandError, match="positive"):
        call_command("mail_send_queued", "--limit", "0")


def test_on_django_with_named_mailers_the_alias_comes_from_mail_mailers(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Django 6.1's ``mail.mailers[alias]`` answers first; get_connection() is never used."""

    class MailerDoesNotExist(Exception):
        pass

    class Mailers:
        def __getitem__(self, alias: str) -> Any:
            if alias != "bulk":
                raise MailerDoesNotExist(alias)
            return LocmemBackend(alias=alias)

    def forbidden(*args: Any, **kwargs: Any) -> None:
        raise AssertionError("get_connection() must not be called when MAILERS exists")

    monkeypatch.setattr(django.core.mail, "mailers", Mailers(), raising=False)
    monkeypatch.setattr(django.core.mail, "get_connection", forbidden)
    with override_settings(MAILERS={"default": {}, "bulk": {}}):
        assert isinstance(get_mailer("bulk"), LocmemBackend)
        assert mailer_aliases() == ["bulk", "default"]
        with pytest.raises(Exception, match="No mailer 'other'"):
            get_mailer("other")
        assert check_mailers() == []
        backend = "tests.mailer.test_admin_api.AliasBackend"
        forge = {**settings.FORGE, "MAILER": {"MAILERS": {"old": {"BACKEND": backend}}}}
        with override_settings(FORGE=forge):
            assert [e.id for e in check_mailers()] == ["forge_mailer.W001"]
            built = get_mailer("old")  # built with its alias, as Django 6.1 builds mailers
            assert isinstance(built, AliasBackend)
            assert built.alias == "old"


class AliasBackend(LocmemBackend):
    def __init__(self, alias: str | None = None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.alias = alias


def test_bad_mailer_settings_are_reported_by_the_forge_checks() -> None:
    from forge_suite.core.checks import check_forge_setting

    forge = {
        **settings.FORGE,
        "MAILER": {
            "CAMPAIGN_RATE": "lots",
            "LEASE_SECONDS": 0,
            "MAILERS": {"x": {"BACKEND": 3}},
            "NOPE": 1,
        },
    }
    with override_settings(FORGE=forge):
        messages = [e.msg for e in check_forge_setting()]
    text = "\n".join(messages)
    assert "FORGE['MAILER']['CAMPAIGN_RATE']" in text
    assert "FORGE['MAILER']['LEASE_SECONDS']" in text
    assert "FORGE['MAILER']['MAILERS']" in text
    assert "unknown setting 'NOPE'" in text
