"""Expired OAuth2 tokens are removed by the API's scheduled job (django-oauth-toolkit's
``cleartokens``, run as a scheduled event)."""

from __future__ import annotations

from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import call_command
from django.utils import timezone

pytestmark = [
    pytest.mark.needs_apps("forge_suite.api", "forge_suite.scheduling"),
    pytest.mark.django_db,
]


def test_the_nightly_job_removes_expired_tokens() -> None:
    from oauth2_provider.models import AccessToken

    from forge_suite.scheduling import load_schedule

    (event,) = load_schedule(["forge_suite.api.schedule"]).events
    assert event.name == "api.cleartokens"
    now = timezone.now()
    AccessToken.objects.create(token="old", scope="jobs:read", expires=now - timedelta(days=1))
    AccessToken.objects.create(token="live", scope="jobs:read", expires=now + timedelta(hours=1))
    call_command("schedule_run", "api.cleartokens", stdout=StringIO())
    assert list(AccessToken.objects.values_list("token", flat=True)) == ["live"]
