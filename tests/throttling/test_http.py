"""Middleware, decorator and DRF: headers, 429 bodies, bypass rules and tier resolvers."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.contrib.auth.models import Group, Permission, User
from django.core.cache import cache
from django.test import Client

from forge_suite.throttling.stores import MemoryStore
from tests.throttling.conftest import FakeClock

MIDDLEWARE = "forge_suite.throttling.middleware.ThrottleMiddleware"

POLICIES: dict[str, Any] = {
    "api": {"rate": "3/m", "algorithm": "fixed_window", "key": "ip", "paths": ["/api/*"]},
    "tiered": {"rate": "2/h", "algorithm": "fixed_window", "key": "user", "views": ["tiered"]},
    "logonly": {"rate": "1/m", "algorithm": "gcra", "views": ["logonly"], "mode": "log"},
    "login": {"rate": "2/m", "algorithm": "sliding_log", "key": "ip"},
}


@pytest.fixture
def web(settings: Any, memory_store: MemoryStore) -> Any:
    settings.ROOT_URLCONF = "tests.throttling.urls"
    settings.MIDDLEWARE = [*settings.MIDDLEWARE, MIDDLEWARE]
    settings.FORGE = {
        "THROTTLING": {
            "POLICIES": POLICIES,
            "RESOLVER": "tests.throttling.views.tier_resolver",
            "DYNAMIC_LIMITS": False,
        }
    }
    settings.REST_FRAMEWORK = {"DEFAULT_THROTTLE_RATES": {"user": "2/m", "uploads": "1/m"}}
    cache.clear()
    return settings


def throttling(settings: Any, **options: Any) -> None:
    settings.FORGE = {"THROTTLING": {**settings.FORGE["THROTTLING"], **options}}


def test_headers_on_allowed_responses(web: Any, client: Client) -> None:
    response = client.get("/api/ping/")
    assert response.status_code == 200
    assert response["RateLimit-Policy"] == '"api";q=3;w=60'
    assert response["RateLimit"] == '"api";r=2;t=60'
    assert response["X-RateLimit-Limit"] == "3"
    assert response["X-RateLimit-Remaining"] == "2"
    assert response["X-RateLimit-Reset"] == "60"
    assert "Retry-After" not in response


def test_limited_response_has_sufficient_integer_retry_after(
    web: Any, client: Client, clock: FakeClock
) -> None:
    clock.advance(20.4)
    for _ in range(3):
        assert client.get("/api/ping/").status_code == 200
    limited = client.get("/api/ping/")
    assert limited.status_code == 429
    assert limited["Retry-After"] == "40"  # 39.6 s rounded up to whole seconds
    assert limited["RateLimit"] == '"api";r=0;t=40'
    assert limited["X-RateLimit-Remaining"] == "0"
    clock.advance(int(limited["Retry-After"]) - 1)
    assert client.get("/api/ping/").status_code == 429
    clock.advance(1)
    assert client.get("/api/ping/").status_code == 200


@pytest.mark.parametrize("algorithm", ["sliding_window", "sliding_log", "token_bucket", "gcra"])
def test_retry_after_is_enough_for_every_algorithm(
    web: Any, client: Client, clock: FakeClock, algorithm: str
) -> None:
    policies = {**POLICIES, "api": {**POLICIES["api"], "algorithm": algorithm, "rate": "3/7s"}}
    throttling(web, POLICIES=policies)
    clock.advance(0.3)
    statuses = [client.get("/api/ping/").status_code for _ in range(5)]
    assert statuses.count(200) == 3
    limited = client.get("/api/ping/")
    assert limited.status_code == 429
    retry = limited["Retry-After"]
    assert retry.isdigit()
    clock.advance(int(retry))
    assert client.get("/api/ping/").status_code == 200


def test_json_or_html_body_by_content_negotiation(web: Any, client: Client) -> None:
    for _ in range(3):
        client.get("/api/ping/")
    as_json = client.get("/api/ping/", headers={"Accept": "application/json"})
    assert as_json.status_code == 429
    assert as_json["Content-Type"] == "application/json"
    assert json.loads(as_json.content) == {
        "detail": "Too many requests.",
        "policy": "api",
        "retry_after": 60,
    }
    as_html = client.get("/api/ping/", headers={"Accept": "text/html"})
    assert as_html.status_code == 429
    assert as_html["Content-Type"].startswith("text/html")
    assert b"Too many requests" in as_html.content
    assert b"60 seconds" in as_html.content


def test_ratelimit_view_is_honoured(web: Any, client: Client) -> None:
    web.RATELIMIT_VIEW = "tests.throttling.views.custom_ratelimited_view"
    for _ in range(3):
        client.get("/api/ping/")
    response = client.get("/api/ping/")
    assert response.status_code == 429
    assert response.content == b"slow down please"
    assert response["Retry-After"] == "60"


def test_headers_can_be_limited_to_one_style(web: Any, client: Client) -> None:
    throttling(web, HEADERS=["x-ratelimit"])
    response = client.get("/api/ping/")
    assert "RateLimit" not in response
    assert response["X-RateLimit-Limit"] == "3"


def test_unscoped_paths_are_not_limited(web: Any, client: Client) -> None:
    response = client.get("/decorated/")  # the api policy is scoped to /api/*
    assert "RateLimit-Policy" not in response or '"api"' not in response["RateLimit-Policy"]


def test_decorator_is_compatible_with_django_ratelimit(web: Any, client: Client) -> None:
    assert client.get("/decorated/").status_code == 200
    ok = client.get("/decorated/")
    assert ok.status_code == 200
    assert ok["X-RateLimit-Remaining"] == "0"
    limited = client.get("/decorated/")
    assert limited.status_code == 429  # Ratelimited turned into a 429 by the middleware
    assert limited["Retry-After"] == "60"


def test_decorator_without_middleware_raises_ratelimited_like_django_ratelimit(
    web: Any, client: Client
) -> None:
    web.MIDDLEWARE = [m for m in web.MIDDLEWARE if m != MIDDLEWARE]
    client.get("/decorated/")
    client.get("/decorated/")
    assert client.get("/decorated/").status_code == 403  # PermissionDenied, as before


def test_decorator_block_false_and_method_filter(web: Any, client: Client) -> None:
    assert json.loads(client.get("/not-blocking/").content) == {"limited": False}
    assert json.loads(client.get("/not-blocking/").content) == {"limited": False}
    assert json.loads(client.post("/not-blocking/").content) == {"limited": False}
    second = client.post("/not-blocking/")
    assert second.status_code == 200
    assert json.loads(second.content) == {"limited": True}


def test_async_view_decorated_with_a_declared_policy(web: Any, client: Client) -> None:
    assert client.get("/async-decorated/").status_code == 200
    assert client.get("/async-decorated/").status_code == 200
    limited = client.get("/async-decorated/")
    assert limited.status_code == 429
    assert limited["RateLimit-Policy"] == '"login";q=2;w=60'


def test_django_ratelimit_decorator_becomes_a_429(web: Any, client: Client) -> None:
    assert client.get("/legacy/").status_code == 200
    response = client.get("/legacy/")
    assert response.status_code == 429


def test_log_only_mode_never_blocks(web: Any, client: Client) -> None:
    assert client.get("/logonly/").status_code == 200
    second = client.get("/logonly/")
    assert second.status_code == 200
    assert second["RateLimit"].startswith('"logonly";r=0')


def test_trusted_ip_ranges_bypass(web: Any, client: Client) -> None:
    throttling(web, TRUSTED_IPS=["10.0.0.0/8"])
    for _ in range(5):
        response = client.get("/api/ping/", REMOTE_ADDR="10.1.2.3")
        assert response.status_code == 200
        assert "RateLimit" not in response
    statuses = [client.get("/api/ping/", REMOTE_ADDR="192.0.2.1").status_code for _ in range(4)]
    assert statuses == [200, 200, 200, 429]


def test_secret_header_bypass_needs_the_exact_secret(web: Any, client: Client) -> None:
    secret = "s3cret-0123456789abcdef"
    throttling(web, BYPASS_HEADER="X-Throttle-Bypass", BYPASS_SECRET=secret)
    for _ in range(5):
        assert client.get("/api/ping/", headers={"X-Throttle-Bypass": secret}).status_code == 200
    wrong = [
        client.get("/api/ping/", headers={"X-Throttle-Bypass": secret[:-1] + "x"}).status_code
        for _ in range(4)
    ]
    assert wrong == [200, 200, 200, 429]


@pytest.mark.django_db
def test_staff_and_permission_bypass(web: Any, client: Client) -> None:
    throttling(web, BYPASS_STAFF=True, BYPASS_PERMISSION="forge_throttling.bypass_throttle")
    staff = User.objects.create_user("staff", is_staff=True)
    client.force_login(staff)
    assert all(client.get("/api/ping/").status_code == 200 for _ in range(5))
    trusted = User.objects.create_user("trusted")
    trusted.user_permissions.add(Permission.objects.get(codename="bypass_throttle"))
    client.force_login(trusted)
    assert all(client.get("/api/ping/").status_code == 200 for _ in range(5))
    client.force_login(User.objects.create_user("plain"))
    statuses = [client.get("/api/ping/").status_code for _ in range(4)]
    assert statuses == [200, 200, 200, 429]


@pytest.mark.django_db
def test_tier_resolver_gives_users_different_limits(web: Any) -> None:
    free, pro, enterprise = (User.objects.create_user(n) for n in ("free", "pro", "ent"))
    pro.groups.add(Group.objects.create(name="pro"))
    enterprise.groups.add(Group.objects.create(name="enterprise"))

    def statuses(user: User, n: int) -> tuple[list[int], Any]:
        browser = Client()
        browser.force_login(user)
        responses = [browser.get("/tiered/") for _ in range(n)]
        return [r.status_code for r in responses], responses[0]

    free_statuses, first = statuses(free, 5)
    assert free_statuses == [200, 200, 200, 429, 429]
    assert first["RateLimit-Policy"] == '"tiered";q=3;w=3600'
    pro_statuses, first = statuses(pro, 8)
    assert pro_statuses == [200] * 6 + [429, 429]
    assert first["RateLimit-Policy"] == '"tiered";q=6;w=3600'
    ent_statuses, first = statuses(enterprise, 20)
    assert ent_statuses == [200] * 20
    assert "RateLimit-Policy" not in first


@pytest.mark.django_db
def test_drf_user_throttle(web: Any, client: Client) -> None:
    client.force_login(User.objects.create_user("api-user"))
    assert client.get("/drf/user/").status_code == 200
    assert client.get("/drf/user/").status_code == 200
    limited = client.get("/drf/user/")
    assert limited.status_code == 429
    assert limited["Retry-After"].isdigit()
    assert int(limited["Retry-After"]) >= 1
    assert limited["RateLimit-Policy"] == '"drf.user";q=2;w=60'


@pytest.mark.django_db
def test_drf_scoped_throttle(web: Any, client: Client) -> None:
    assert client.get("/drf/scoped/").status_code == 200
    limited = client.get("/drf/scoped/")
    assert limited.status_code == 429
    assert limited["RateLimit-Policy"] == '"drf.uploads";q=1;w=60'


async def test_middleware_under_asgi(web: Any, async_client: Any) -> None:
    """The async request path (ASGI servers): same limits, headers and 429."""
    responses = [await async_client.get("/api/ping/") for _ in range(4)]
    assert [r.status_code for r in responses] == [200, 200, 200, 429]
    assert responses[0]["RateLimit"] == '"api";r=2;t=60'
    assert responses[3]["Retry-After"] == "60"
    limited = await async_client.get("/async-decorated/")
    assert limited.status_code == 200
    assert limited["RateLimit-Policy"] == '"login";q=2;w=60'
