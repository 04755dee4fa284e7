"""One decision for every entry point: an admin-edited limit applies wherever the policy is used."""

from __future__ import annotations

from typing import Any

import pytest
from asgiref.sync import sync_to_async
from django.test import Client

from forge_suite.throttling import Policy, check
from forge_suite.throttling.models import RateLimitOverride
from forge_suite.throttling.stores import MemoryStore
from tests.throttling.test_http import MIDDLEWARE, POLICIES


@pytest.fixture
def site(settings: Any, memory_store: MemoryStore) -> Any:
    settings.ROOT_URLCONF = "tests.throttling.urls"
    settings.MIDDLEWARE = [*settings.MIDDLEWARE, MIDDLEWARE]
    settings.FORGE = {"THROTTLING": {"POLICIES": POLICIES}}
    settings.REST_FRAMEWORK = {"DEFAULT_THROTTLE_RATES": {"user": "2/m", "uploads": "1/m"}}
    return settings


@pytest.mark.django_db
def test_admin_override_applies_to_a_drf_scope_policy(site: Any, client: Client) -> None:
    RateLimitOverride.objects.create(policy="drf.uploads", rate="3/m")
    statuses = [client.get("/drf/scoped/").status_code for _ in range(4)]
    assert statuses == [200, 200, 200, 429]
    assert client.get("/drf/scoped/")["RateLimit-Policy"] == '"drf.uploads";q=3;w=60'


@pytest.mark.django_db
def test_admin_override_applies_to_check_with_a_policy_object(site: Any) -> None:
    RateLimitOverride.objects.create(policy="reports", rate="3/m", algorithm="fixed_window")
    decisions = [check(Policy("reports", "1/m"), "alice") for _ in range(4)]
    assert [d.allowed for d in decisions] == [True, True, True, False]
    assert decisions[0].limit == 3


@pytest.mark.django_db
def test_unlimited_override_lifts_a_policy_object(site: Any) -> None:
    RateLimitOverride.objects.create(policy="reports", unlimited=True)
    assert all(check(Policy("reports", "1/h"), "bob").allowed for _ in range(5))


@pytest.mark.django_db(transaction=True)
async def test_admin_override_applies_to_realtime_client_events(site: Any) -> None:
    from forge_suite.realtime.throttle import ClientEventLimiter

    await sync_to_async(RateLimitOverride.objects.create)(
        policy="forge_realtime.client_events.app1", rate="4/m"
    )
    try:
        limiter = ClientEventLimiter("app1", "1.1", "2/m")
        assert limiter.backend == "throttling"
        assert [await limiter.allow() for _ in range(5)] == [True, True, True, True, False]
    finally:
        from django.db import connections

        await sync_to_async(connections.close_all)()


@pytest.mark.django_db
def test_decide_with_a_request_uses_key_bypass_and_headers(site: Any, rf: Any) -> None:
    from forge_suite.throttling import decide
    from forge_suite.throttling.http import DECISIONS_ATTR

    policy = Policy("per-ip", "1/m", algorithm="fixed_window", key="ip")
    first = rf.get("/", REMOTE_ADDR="10.1.1.1")
    assert decide(policy, first).key == "10.1.1.1"
    second = rf.get("/", REMOTE_ADDR="10.1.1.1")
    limited = decide(policy, second)
    assert limited.blocked
    assert second.limited is True
    assert getattr(second, DECISIONS_ATTR) == [limited]
    # Trusted networks bypass: no counter touched, nothing remembered for the headers.
    site.FORGE = {"THROTTLING": {"POLICIES": POLICIES, "TRUSTED_IPS": ["10.1.1.0/24"]}}
    third = rf.get("/", REMOTE_ADDR="10.1.1.1")
    assert decide(policy, third).unlimited
    assert not hasattr(third, DECISIONS_ATTR)
