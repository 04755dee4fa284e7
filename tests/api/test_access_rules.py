"""Who may do what: site-wide actions need staff (or a Django permission), whatever the token's
scopes; users cannot register OAuth2 applications themselves."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.conf import settings
from django.test import Client, override_settings

from tests.support.oauth import bearer

pytestmark = [
    pytest.mark.needs_apps("forge_suite.api", "forge_suite.mailer"),
    pytest.mark.django_db,
]

MAILABLES = {"API": {"MAILABLES": ["tests.mailer.mailables.Welcome"]}}


MAIL_TEMPLATES = str(Path(__file__).parent.parent / "mailer" / "templates")


@override_settings(FORGE=MAILABLES)
def test_a_plain_users_token_cannot_send_mail_or_broadcast_but_staff_can() -> None:
    from django.contrib.auth import get_user_model

    users = get_user_model().objects
    plain = users.create_user("plain", password="pw-12345678")
    staff = users.create_user("boss", password="pw-12345678", is_staff=True)
    mail = {"mailable": "tests.mailer.mailables.Welcome", "to": ["a@example.com"]}
    event = {"name": "x", "channels": ["news"]}
    client = Client()
    templates = [dict(settings.TEMPLATES[0], DIRS=[MAIL_TEMPLATES])]
    for url, body, scope in (
        ("/api/v1/mail/messages/", mail, "mail:send"),
        ("/api/v1/realtime/events/", event, "realtime:trigger"),
    ):
        refused = client.post(
            url, body, content_type="application/json", headers=bearer(scope, plain)
        )
        assert refused.status_code == 403, (url, refused.content)
        with override_settings(TEMPLATES=templates):
            allowed = client.post(
                url, body, content_type="application/json", headers=bearer(scope, staff)
            )
        assert allowed.status_code == 202, (url, allowed.content)
    # Reading every channel of the site is site-wide too.
    channels = "/api/v1/realtime/channels/"
    assert client.get(channels, headers=bearer("realtime:trigger", plain)).status_code == 403
    listed = client.get(channels, headers=bearer("realtime:trigger", staff))
    assert listed.status_code == 200, listed.content
    assert listed.json() == {"channels": {}}  # a process without sockets or Redis knows none
    # A session user is held to the same rule.
    client.force_login(plain)
    assert client.get("/api/v1/mail/mailables/").status_code == 403
    assert client.get(channels).status_code == 403
    # What is the user's own stays open to them: their rate-limit usage.
    assert client.get("/api/v1/throttling/usage/").status_code == 200


def test_users_cannot_register_applications_or_clients() -> None:
    from django.contrib.auth import get_user_model

    client = Client()
    client.force_login(get_user_model().objects.create_user("mallory", password="pw-12345678"))
    for url in ("/o/applications/", "/o/applications/register/", "/o/register/"):
        assert client.get(url).status_code == 404, url
    assert client.get("/o/.well-known/oauth-authorization-server").status_code == 200
