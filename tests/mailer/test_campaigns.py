"""Bulk campaigns: one message per recipient, suppressed ones skipped, rate-limited."""

from __future__ import annotations

from typing import Any

import pytest
from django.conf import settings
from django.contrib.auth import get_user_model
from django.test import override_settings

from forge_suite.mailer import send_campaign
from forge_suite.mailer.models import Campaign, Suppression, Unsubscription
from tests.mailer.mailables import Newsletter
from tests.support.smtp_sink import SmtpSink

pytestmark = pytest.mark.django_db


def test_campaign_sends_one_personalised_message_per_user_and_skips_opted_out(
    smtp_sink: SmtpSink, mailers: dict[str, Any], django_capture_on_commit_callbacks: Any
) -> None:
    users = [
        get_user_model().objects.create_user(f"u{i}", f"u{i}@example.com", "pw") for i in range(25)
    ]
    Suppression.objects.create(email="u3@example.com", reason="bounced")
    Unsubscription.objects.create(email="u4@example.com", list_name="newsletter")
    seen: list[int] = []
    with django_capture_on_commit_callbacks(execute=True):
        campaign = send_campaign(
            Newsletter,
            get_user_model().objects.order_by("pk"),
            name="Spring",
            context=lambda user: {"headline": f"Hi {user.username}"},
            batch_size=10,
            progress=seen.append,
        )
    campaign.refresh_from_db()
    assert seen == [10, 10, 5]
    assert (campaign.total, campaign.queued, campaign.skipped) == (25, 23, 2)
    assert campaign.state == Campaign.State.DONE
    assert campaign.stats() == {"sent": 23}
    assert len(smtp_sink.messages) == 23
    for message, (_, rcpts) in zip(smtp_sink.messages, smtp_sink.envelopes, strict=True):
        assert len(rcpts) == 1  # nobody sees anybody else's address
        assert str(message["To"]) == rcpts[0]
        user = rcpts[0].split("@")[0]
        assert f"Hi {user}" in message.get_body(preferencelist=("html",)).get_content()
        assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    received = {r[0] for _, r in smtp_sink.envelopes}
    assert received == {u.email for u in users} - {"u3@example.com", "u4@example.com"}


def test_campaign_rate_limit_spaces_the_sends(
    smtp_sink: SmtpSink, mailers: dict[str, Any], django_capture_on_commit_callbacks: Any
) -> None:
    forge = {
        **settings.FORGE,
        "MAILER": {**settings.FORGE["MAILER"], "CAMPAIGN_RATE": "5/s"},
    }
    with override_settings(FORGE=forge):
        from forge_suite.throttling import Policy, reset

        reset(Policy("forge_mailer.campaign", "5/s", key="global"), "smtp")
        with django_capture_on_commit_callbacks(execute=True):
            send_campaign(Newsletter, [f"r{i}@example.com" for i in range(15)])
    assert len(smtp_sink.messages) == 15
    # GCRA admits a burst of 5, then one every 0.2 s: 15 sends cannot take less than 2 s.
    # (A lower bound only: a loaded machine makes it slower, never faster.)
    assert smtp_sink.arrivals[-1] - smtp_sink.arrivals[0] >= 1.9
