"""Trusted proxies: the client address from X-Forwarded-For or Forwarded, never from a spoof."""

from __future__ import annotations

import logging
from typing import Any

import pytest
from django.core.management import call_command
from django.core.management.base import SystemCheckError
from django.test import Client, RequestFactory

from forge_suite.core.proxies import client_ip
from forge_suite.throttling import Policy, decide
from forge_suite.throttling.stores import MemoryStore
from tests.throttling.test_http import MIDDLEWARE, POLICIES

rf = RequestFactory()
XFF = "HTTP_X_FORWARDED_FOR"


def proxies(settings: Any, trusted: Any, header: str | None = None) -> None:
    forge: dict[str, Any] = {"TRUSTED_PROXIES": trusted, "THROTTLING": {"DYNAMIC_LIMITS": False}}
    if header:
        forge["TRUSTED_PROXY_HEADER"] = header
    settings.FORGE = forge


def test_off_by_default_headers_are_ignored(settings: Any) -> None:
    settings.FORGE = {}
    request = rf.get("/", REMOTE_ADDR="198.51.100.7", **{XFF: "203.0.113.9"})
    assert client_ip(request) == "198.51.100.7"


def test_one_hop_takes_what_the_balancer_appended(settings: Any) -> None:
    proxies(settings, 1)
    # The client wrote a fake address itself; the balancer appended the real one.
    request = rf.get("/", REMOTE_ADDR="10.0.0.2", **{XFF: "1.2.3.4, 203.0.113.9"})
    assert client_ip(request) == "203.0.113.9"
    assert client_ip(rf.get("/", REMOTE_ADDR="10.0.0.2", **{XFF: "203.0.113.9"})) == ("203.0.113.9")
    # No header (a request that did not come through the balancer): the peer.
    assert client_ip(rf.get("/", REMOTE_ADDR="10.0.0.2")) == "10.0.0.2"


def test_two_hops(settings: Any) -> None:
    proxies(settings, 2)
    request = rf.get("/", REMOTE_ADDR="10.0.0.2", **{XFF: "6.6.6.6, 203.0.113.9, 10.0.0.1"})
    assert client_ip(request) == "203.0.113.9"


def test_networks_skip_trusted_hops_from_the_right(settings: Any) -> None:
    proxies(settings, ["10.0.0.0/8", "fd00::/8"])
    request = rf.get("/", REMOTE_ADDR="10.0.0.2", **{XFF: "6.6.6.6, 203.0.113.9, 10.1.2.3"})
    assert client_ip(request) == "203.0.113.9"
    # A direct connection from outside the trusted networks: its header is not believed.
    spoof = rf.get("/", REMOTE_ADDR="198.51.100.7", **{XFF: "10.9.9.9"})
    assert client_ip(spoof) == "198.51.100.7"


def test_garbage_in_the_header_falls_back_safely(settings: Any) -> None:
    proxies(settings, 1)
    request = rf.get("/", REMOTE_ADDR="10.0.0.2", **{XFF: "not-an-ip"})
    assert client_ip(request) == "10.0.0.2"
    proxies(settings, ["10.0.0.0/8"])
    request = rf.get("/", REMOTE_ADDR="10.0.0.2", **{XFF: "<script>, 10.0.0.5"})
    assert client_ip(request) == "10.0.0.5"


def test_rfc_7239_forwarded(settings: Any) -> None:
    proxies(settings, 1, "Forwarded")
    header = 'for=1.2.3.4, for="[2001:db8:cafe::17]:4711";proto=https;by=10.0.0.2'
    request = rf.get("/", REMOTE_ADDR="10.0.0.2", HTTP_FORWARDED=header)
    assert client_ip(request) == "2001:db8:cafe::17"
    proxies(settings, ["10.0.0.0/8"], "forwarded")
    request = rf.get("/", REMOTE_ADDR="10.0.0.2", HTTP_FORWARDED="for=192.0.2.60:8080;proto=http")
    assert client_ip(request) == "192.0.2.60"
    # With Forwarded configured, a spoofed X-Forwarded-For is ignored.
    request = rf.get("/", REMOTE_ADDR="10.0.0.2", **{XFF: "7.7.7.7"})
    assert client_ip(request) == "10.0.0.2"


def test_bad_settings_are_reported_by_manage_py_check(settings: Any) -> None:
    settings.FORGE = {"TRUSTED_PROXIES": ["10.0.0.0/33"], "TRUSTED_PROXY_HEADER": "X-Real-IP"}
    with pytest.raises(SystemCheckError) as excinfo:
        call_command("check")
    assert "TRUSTED_PROXIES" in str(excinfo.value)
    assert "TRUSTED_PROXY_HEADER" in str(excinfo.value)


@pytest.mark.django_db
def test_throttling_keys_clients_apart_behind_a_balancer(
    settings: Any, memory_store: MemoryStore
) -> None:
    settings.ROOT_URLCONF = "tests.throttling.urls"
    settings.MIDDLEWARE = [*settings.MIDDLEWARE, MIDDLEWARE]
    proxies(settings, ["10.0.0.0/8"])
    settings.FORGE["THROTTLING"]["POLICIES"] = POLICIES  # api: 3/m per ip
    balancer = Client(REMOTE_ADDR="10.0.0.2")
    alice = [balancer.get("/api/ping/", **{XFF: "203.0.113.1"}).status_code for _ in range(4)]
    bob = balancer.get("/api/ping/", **{XFF: "203.0.113.2"}).status_code
    # Alice cannot escape her bucket by writing addresses of her own in front.
    spoofed = balancer.get("/api/ping/", **{XFF: "9.9.9.9, 203.0.113.1"}).status_code
    assert (alice, bob, spoofed) == ([200, 200, 200, 429], 200, 429)


def test_trusted_networks_bypass_uses_the_client_address(
    settings: Any, memory_store: MemoryStore
) -> None:
    proxies(settings, 1)
    settings.FORGE["THROTTLING"]["TRUSTED_IPS"] = ["10.0.0.0/8"]
    policy = Policy("bypass", "1/m", key="ip")
    behind = [rf.get("/", REMOTE_ADDR="10.0.0.2", **{XFF: "203.0.113.5"}) for _ in range(2)]
    # The balancer is in TRUSTED_IPS, the client is not: the client is still limited.
    assert [decide(policy, r).allowed for r in behind] == [True, False]


@pytest.mark.django_db
def test_access_log_records_the_client_address(
    settings: Any, caplog: pytest.LogCaptureFixture
) -> None:
    settings.ROOT_URLCONF = "tests.throttling.urls"
    settings.MIDDLEWARE = ["forge_suite.observability.middleware.RequestIdMiddleware"]
    proxies(settings, 1)
    with caplog.at_level(logging.INFO, logger="forge_suite.observability.request"):
        Client(REMOTE_ADDR="10.0.0.2").get("/api/ping/", **{XFF: "1.1.1.1, 203.0.113.7"})
    records = [r for r in caplog.records if r.getMessage() == "request finished"]
    assert records[0].client_ip == "203.0.113.7"  # type: ignore[attr-defined]
