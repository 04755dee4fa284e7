"""The example project's rate-limited API demo."""

from __future__ import annotations

import json
from typing import Any

from django.test import Client

from forge_suite.throttling.stores import MemoryStore
from tests.throttling.test_http import MIDDLEWARE

DEMO_POLICIES = {
    "demo-api": {"rate": "5/m", "algorithm": "gcra", "key": "ip", "paths": ["/api-demo/"]},
    "demo-jobs": {"rate": "3/10s", "algorithm": "token_bucket", "burst": 3, "key": "ip"},
}


def test_demo_endpoints(settings: Any, memory_store: MemoryStore) -> None:
    settings.ROOT_URLCONF = "example_project.urls"
    settings.MIDDLEWARE = [*settings.MIDDLEWARE, MIDDLEWARE]
    settings.FORGE = {"THROTTLING": {"POLICIES": DEMO_POLICIES, "DYNAMIC_LIMITS": False}}
    client = Client()
    statuses = [client.get("/api-demo/").status_code for _ in range(6)]
    assert statuses == [200] * 5 + [429]
    quotas = [client.get("/api-demo/quota/") for _ in range(4)]
    assert [r.status_code for r in quotas] == [200, 200, 200, 429]
    assert json.loads(quotas[0].content)["remaining"] == 2
    assert json.loads(quotas[3].content)["retry_after"] > 0
