"""The ``throttle`` command, key conventions and middleware method scopes."""

from __future__ import annotations

from io import StringIO
from typing import Any

import pytest
from django.contrib.auth.models import AnonymousUser, User
from django.core.management import CommandError, call_command
from django.test import Client, RequestFactory

from forge_suite.throttling import Policy, check
from forge_suite.throttling.policy import resolve_key
from forge_suite.throttling.stores import MemoryStore
from tests.throttling.test_http import MIDDLEWARE, POLICIES


def run(*args: str) -> str:
    out = StringIO()
    call_command("throttle", *args, stdout=out)
    return out.getvalue()


@pytest.fixture
def declared(settings: Any, memory_store: MemoryStore) -> MemoryStore:
    settings.FORGE = {"THROTTLING": {"POLICIES": POLICIES, "DYNAMIC_LIMITS": False}}
    return memory_store


def test_command_lists_peeks_tops_and_resets(declared: MemoryStore) -> None:
    assert "api\t3/m\tfixed_window\tkey=ip\tmode=block" in run("policies")
    for _ in range(2):
        check("api", "192.0.2.9")
    check("api", "192.0.2.8")
    top = run("top", "api").splitlines()
    assert top[0].startswith("192.0.2.9\tused=2\tremaining=1")
    assert top[1].startswith("192.0.2.8\tused=1")
    assert "remaining 1/3" in run("peek", "api", "192.0.2.9")
    assert "Reset '192.0.2.9'" in run("reset", "api", "192.0.2.9")
    assert "remaining 3/3" in run("peek", "api", "192.0.2.9")


def test_command_rejects_bad_input(declared: MemoryStore) -> None:
    with pytest.raises(CommandError, match="needs a policy"):
        run("top")
    with pytest.raises(CommandError, match="unknown throttling policy 'nope'"):
        run("reset", "nope", "k")
    with pytest.raises(CommandError, match="needs a key"):
        run("reset", "api")
    with pytest.raises(CommandError, match="--count"):
        run("top", "api", "--count", "0")


def get_api_key(group: str, request: Any) -> str:
    return f"{group}:{request.headers.get('X-Api-Key', '')}"


@pytest.mark.django_db
def test_key_conventions() -> None:
    factory = RequestFactory()
    request = factory.post(
        "/login/?tenant=acme",
        {"username": "alice"},
        REMOTE_ADDR="203.0.113.7",
        headers={"X-Api-Key": "k-123"},
    )
    request.user = AnonymousUser()

    def key(spec: Any) -> str:
        return resolve_key(Policy("login", "5/m", key=spec), request)

    assert key("ip") == "203.0.113.7"
    assert key("user_or_ip") == "203.0.113.7"
    assert key("global") == "global"
    assert key("header:x-api-key") == "k-123"
    assert key("get:tenant") == "acme"
    assert key("post:username") == "alice"
    assert key("tests.throttling.test_command_and_keys.get_api_key") == "login:k-123"
    assert key(lambda group, req: req.method) == "POST"
    request.user = User.objects.create_user("bob")
    assert key("user") == str(request.user.pk)
    assert key("user_or_ip") == str(request.user.pk)
    # DRF with an OAuth2 client-credentials token sets request.user to None: anonymous.
    request.user = None
    assert key("user_or_ip") == "203.0.113.7"


def test_middleware_method_scope(settings: Any, memory_store: MemoryStore) -> None:
    settings.ROOT_URLCONF = "tests.throttling.urls"
    settings.MIDDLEWARE = [*settings.MIDDLEWARE, MIDDLEWARE]
    only_post = {"api": {**POLICIES["api"], "methods": ["post"]}}
    settings.FORGE = {"THROTTLING": {"POLICIES": only_post, "DYNAMIC_LIMITS": False}}
    client = Client(enforce_csrf_checks=False)
    assert all(client.get("/api/ping/").status_code == 200 for _ in range(5))
    assert "RateLimit" not in client.get("/api/ping/")
    assert [client.post("/api/ping/").status_code for _ in range(4)] == [200, 200, 200, 429]
