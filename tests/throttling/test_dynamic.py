"""Limits edited in the admin take effect without a restart; top keys page with reset."""

from __future__ import annotations

import time
from typing import Any

import pytest
from django.test import Client

from forge_suite.throttling import check, get_policy
from forge_suite.throttling.models import RateLimitOverride
from forge_suite.throttling.stores import MemoryStore, RedisStore
from tests.throttling.test_http import MIDDLEWARE, POLICIES

pytestmark = pytest.mark.django_db


@pytest.fixture
def site(settings: Any, memory_store: MemoryStore) -> Any:
    settings.ROOT_URLCONF = "tests.throttling.urls"
    settings.MIDDLEWARE = [*settings.MIDDLEWARE, MIDDLEWARE]
    settings.FORGE = {"THROTTLING": {"POLICIES": POLICIES, "DYNAMIC_CACHE_SECONDS": 30}}
    return settings


def statuses(client: Client, n: int) -> list[int]:
    return [client.get("/api/ping/").status_code for _ in range(n)]


def test_changing_a_limit_in_the_admin_takes_effect_at_once(
    site: Any, admin_client: Client
) -> None:
    anonymous = Client()
    assert statuses(anonymous, 4) == [200, 200, 200, 429]
    response = admin_client.post(
        "/admin/forge_throttling/ratelimitoverride/add/",
        {"policy": "api", "rate": "6/m", "enabled": "on", "note": "launch day"},
    )
    assert response.status_code == 302, response.content
    # Three already used of the new six.
    assert statuses(anonymous, 4) == [200, 200, 200, 429]
    assert anonymous.get("/api/ping/")["RateLimit-Policy"] == '"api";q=6;w=60'
    override = RateLimitOverride.objects.get(policy="api")
    response = admin_client.post(
        f"/admin/forge_throttling/ratelimitoverride/{override.pk}/change/",
        {"policy": "api", "rate": "", "unlimited": "on", "enabled": "on"},
    )
    assert response.status_code == 302
    assert statuses(anonymous, 10) == [200] * 10


def test_admin_rejects_a_bad_rate(site: Any, admin_client: Client) -> None:
    response = admin_client.post(
        "/admin/forge_throttling/ratelimitoverride/add/",
        {"policy": "api", "rate": "lots", "enabled": "on"},
    )
    assert response.status_code == 200
    assert b"invalid rate" in response.content
    assert not RateLimitOverride.objects.exists()


def test_other_processes_pick_up_a_change_within_the_cache_time(site: Any) -> None:
    """A change made elsewhere (no signal in this process) applies after the cache time."""
    site.FORGE = {"THROTTLING": {"POLICIES": POLICIES, "DYNAMIC_CACHE_SECONDS": 0.3}}
    assert get_policy("api").rate == "3/m"
    RateLimitOverride.objects.bulk_create([RateLimitOverride(policy="api", rate="9/m")])
    assert get_policy("api").rate == "3/m"  # still cached
    time.sleep(0.35)
    assert get_policy("api").rate == "9/m"
    assert get_policy("api").limit == 9


def test_disabled_override_is_ignored(site: Any) -> None:
    RateLimitOverride.objects.create(policy="api", rate="9/m", enabled=False)
    assert get_policy("api").limit == 3


def test_override_can_switch_algorithm_and_mode(site: Any) -> None:
    RateLimitOverride.objects.create(policy="api", algorithm="gcra", mode="log", burst=4)
    policy = get_policy("api")
    assert (policy.algorithm, policy.mode, policy.capacity) == ("gcra", "log", 4)
    assert str(RateLimitOverride.objects.get()) == "api: declared rate"


def test_top_keys_page_and_reset(site: Any, admin_client: Client) -> None:
    for address, hits in (("192.0.2.1", 3), ("192.0.2.2", 1)):
        for _ in range(hits):
            Client(REMOTE_ADDR=address).get("/api/ping/")
    page = admin_client.get("/admin/forge_throttling/ratelimitoverride/top-keys/")
    assert page.status_code == 200
    html = page.content.decode()
    assert html.index("192.0.2.1") < html.index("192.0.2.2")  # busiest first
    assert "Top keys per policy" in html
    assert Client(REMOTE_ADDR="192.0.2.1").get("/api/ping/").status_code == 429
    reset = admin_client.post(
        "/admin/forge_throttling/ratelimitoverride/top-keys/reset/",
        {"policy": "api", "key": "192.0.2.1"},
    )
    assert reset.status_code == 302
    assert Client(REMOTE_ADDR="192.0.2.1").get("/api/ping/").status_code == 200
    page = admin_client.get("/admin/forge_throttling/ratelimitoverride/top-keys/")
    assert "Reset key" in page.content.decode()


def test_top_keys_needs_staff(site: Any, client: Client) -> None:
    response = client.get("/admin/forge_throttling/ratelimitoverride/top-keys/")
    assert response.status_code == 302
    assert "/admin/login/" in response["Location"]


@pytest.mark.redis
def test_redis_top_keys(redis_url: str, redis_prefix: str, use_store: Any, site: Any) -> None:
    store = use_store(RedisStore(redis_url, prefix=redis_prefix))
    policy = get_policy("api")
    for key, hits in (("a", 1), ("b", 3), ("c", 2)):
        for _ in range(hits):
            check(policy, key)
    assert [(u.key, u.used) for u in store.top_keys(policy)] == [("b", 3), ("c", 2), ("a", 1)]
    store.reset(policy, "b")
    assert [u.key for u in store.top_keys(policy)] == ["c", "a"]


@pytest.mark.django_db(transaction=True)
async def test_acheck_by_name_applies_admin_overrides(settings: Any, memory_store: Any) -> None:
    """What an async caller (a WebSocket consumer) sees: acheck() reads overrides safely."""
    from asgiref.sync import sync_to_async

    from forge_suite.throttling import acheck

    settings.FORGE = {"THROTTLING": {"POLICIES": POLICIES}}
    await sync_to_async(RateLimitOverride.objects.create)(policy="login", rate="1/m")
    try:
        first, second = await acheck("login", "alice"), await acheck("login", "alice")
        assert (first.allowed, first.limit) == (True, 1)
        assert not second.allowed
    finally:
        # The worker thread's connection would otherwise keep the test database open.
        from django.db import connections

        await sync_to_async(connections.close_all)()
