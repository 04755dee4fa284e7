"""The example project serves the probes and metrics with django-prometheus wired in."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.observability.conftest import Server

pytestmark = pytest.mark.slow


def test_example_project_probes_metrics_and_json_logs(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in ("DATABASE_URL", "REDIS_URL", "CELERY_BROKER_URL", "SENTRY_DSN"):
        monkeypatch.delenv(name, raising=False)
    server = Server(
        "example_project.settings",
        FORGE_DATA_DIR=str(tmp_path),
        DJANGO_DEBUG="0",
        METRICS_TOKEN="example-token",
    )
    try:
        status, body, headers = server.get("/health/live", {"X-Request-ID": "demo-1"})
        assert status == 200
        assert headers["X-Request-ID"] == "demo-1"
        status, body, _ = server.get("/health/ready")
        assert status == 200, body
        assert json.loads(body)["status"] == "pass"
        status, _, _ = server.get("/metrics")
        assert status == 403  # a configured token is required, from loopback too
        status, body, _ = server.get("/metrics", {"Authorization": "Bearer example-token"})
        text = body.decode()
        assert status == 200
        # Request metrics (middleware), database metrics (instrumented engine), cache metrics.
        assert 'django_http_responses_total_by_status_view_method_total{method="GET"' in text
        assert "django_db_new_connections_total" in text
        assert 'django_cache_get_total{backend="locmem"}' in text
    finally:
        output = server.stop()
    access = [
        json.loads(line)
        for line in output.splitlines()
        if line.startswith("{") and '"request finished"' in line
    ]
    live = [r for r in access if r["path"] == "/health/live"]
    assert live[0]["request_id"] == "demo-1"
    assert live[0]["status"] == 200
