"""Health probes: component selection, JSON/HTML shape, timeouts, the command and admin page."""

from __future__ import annotations

import json
import threading
import time
from io import StringIO
from typing import Any, ClassVar

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.test import Client, override_settings

from forge_suite.core.celery import get_celery_app
from forge_suite.observability import health
from tests.observability.conftest import forge
from tests.support.sockets import HangingServer

pytestmark = [pytest.mark.usefixtures("obs_settings"), pytest.mark.django_db(transaction=True)]


def names(scope: health.Scope = "all") -> list[str]:
    return [c.name for c in health.components(scope)]


def get_json(path: str, **headers: Any) -> tuple[int, dict[str, Any], str]:
    response = Client().get(path, **headers)
    return response.status_code, json.loads(response.content), response["Content-Type"]


def test_embedded_defaults_check_what_is_configured_and_nothing_else() -> None:
    found = names()
    assert found == [
        "database:default",
        "cache:default",
        "channel_layer:default",
        "storage:default",
        "mail",
    ]
    # No FORGE["REDIS_URL"], eager Celery: no redis or celery check.
    assert "redis" not in found
    assert "celery" not in found
    # Readiness leaves out the non-critical mail backend.
    assert "mail" not in names("ready")


def test_unconfigured_pieces_are_not_checked() -> None:
    with override_settings(
        CACHES={"default": {"BACKEND": "django.core.cache.backends.dummy.DummyCache"}},
        CHANNEL_LAYERS={},
        STORAGES={},
    ):
        assert names() == ["database:default", "mail"]


def test_a_configured_broker_adds_the_celery_check() -> None:
    app = get_celery_app()
    saved = app.conf.broker_url, app.conf.task_always_eager
    app.conf.broker_url, app.conf.task_always_eager = "redis://127.0.0.1:6379/5", False
    try:
        assert "celery" in names()
        assert "celery" not in names("ready")  # non-critical by default
        with override_settings(FORGE=forge(HEALTH_NON_CRITICAL=[])):
            assert "celery" in names("ready")
    finally:
        app.conf.broker_url, app.conf.task_always_eager = saved


def test_full_report_in_health_json_shape() -> None:
    status, data, content_type = get_json("/health/")
    assert status == 200
    assert content_type == "application/health+json"
    assert data["status"] == "pass"
    assert set(data["checks"]) == set(names())
    entry = data["checks"]["database:default"][0]
    assert entry["status"] == "pass"
    assert entry["componentType"] == "datastore"
    assert entry["componentId"] == "default"
    assert entry["observedUnit"] == "ms"
    assert entry["observedValue"] >= 0
    assert entry["critical"] is True
    assert "output" not in entry
    assert data["checks"]["mail"][0]["critical"] is False


def test_ready_and_live_answer_pass() -> None:
    status, data, _ = get_json("/health/ready")
    assert status == 200
    assert data["status"] == "pass"
    assert "mail" not in data["checks"]
    live = Client().get("/health/live")
    assert live.status_code == 200
    assert live["Content-Type"] == "application/health+json"
    assert json.loads(live.content) == {"status": "pass"}
    assert "no-store" in live["Cache-Control"]


async def test_probes_work_in_an_async_server_stack() -> None:
    from django.test import AsyncClient

    client = AsyncClient()
    ready = await client.get("/health/ready", headers={"X-Request-ID": "asgi-probe"})
    assert ready.status_code == 200
    assert ready["X-Request-ID"] == "asgi-probe"
    assert json.loads(ready.content)["checks"]["database:default"][0]["status"] == "pass"
    live = await client.get("/health/live")
    assert live.status_code == 200


def test_browsers_get_html() -> None:
    response = Client().get("/health/", HTTP_ACCEPT="text/html,application/xhtml+xml,*/*;q=0.8")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/html")
    body = response.content.decode()
    assert '<table id="forge-health">' in body
    assert "database:default" in body
    assert Client().get("/health/?format=html")["Content-Type"].startswith("text/html")


def test_a_failing_critical_component_fails_ready_and_is_named() -> None:
    with override_settings(STORAGES={"default": {"BACKEND": "no.such.Storage"}}):
        status, data, _ = get_json("/health/ready")
    assert status == 503
    assert data["status"] == "fail"
    assert data["checks"]["storage:default"][0]["status"] == "fail"
    assert "storage:default" in data["output"]
    assert data["checks"]["database:default"][0]["status"] == "pass"


def _unreachable_smtp() -> dict[str, Any]:
    """Mail settings pointing at a port nothing listens on, in the running Django's style."""
    import django

    backend = "django.core.mail.backends.smtp.EmailBackend"
    if django.VERSION >= (6, 1):
        return {
            "MAILERS": {
                "default": {"BACKEND": backend, "OPTIONS": {"host": "127.0.0.1", "port": 1}}
            }
        }
    return {"EMAIL_BACKEND": backend, "EMAIL_HOST": "127.0.0.1", "EMAIL_PORT": 1}


def test_a_failing_non_critical_component_only_warns() -> None:
    with override_settings(**_unreachable_smtp()):
        status, data, _ = get_json("/health/")
        ready_status, _, _ = get_json("/health/ready")
    assert data["checks"]["mail"][0]["status"] == "fail"
    assert "Connection refused" in data["checks"]["mail"][0]["output"]
    assert data["status"] == "warn"
    assert status == 200
    assert ready_status == 200


def test_a_hanging_dependency_cannot_hang_ready(hanging_server: HangingServer) -> None:
    """Redis and a Redis cache on a port that accepts but never answers: 503 in time."""
    url = f"redis://127.0.0.1:{hanging_server.port}/0"
    with override_settings(
        FORGE={"REDIS_URL": url, "OBSERVABILITY": {"HEALTH_TIMEOUT": 1}},
        # Django's Redis cache has no socket timeout: without the probe's own timeout it
        # would wait forever.
        CACHES={
            alias: {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": url}
            for alias in ("default", "sessions")
        },
    ):
        started = time.monotonic()
        status, data, _ = get_json("/health/ready")
        elapsed = time.monotonic() - started
    assert status == 503
    assert data["checks"]["cache:default"][0]["status"] == "fail"
    assert data["checks"]["cache:default"][0]["output"] == "timed out after 1 s"
    assert data["checks"]["cache:sessions"][0]["status"] == "fail"
    assert data["checks"]["redis"][0]["status"] == "fail"
    assert data["checks"]["database:default"][0]["status"] == "pass"
    # Three hanging components, each bounded by the 1 s timeout, checked at the same time:
    # one after the other would take at least 3 s.
    assert elapsed < 2.5, elapsed
    assert len(hanging_server.accepted) >= 3


def test_a_check_that_never_returns_costs_one_thread_not_one_per_probe(
    hanging_server: HangingServer,
) -> None:
    url = f"redis://127.0.0.1:{hanging_server.port}/0"
    caches = {
        "default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": url}
    }
    with override_settings(CACHES=caches, FORGE=forge(HEALTH_TIMEOUT=0.5, HEALTH_READY_CACHE=0)):
        outputs = []
        for _ in range(4):
            _, data, _ = get_json("/health/ready")
            outputs.append(data["checks"]["cache:default"][0]["output"])
    stuck = [t for t in threading.enumerate() if t.name == "forge-health-cache:default"]
    assert len(stuck) == 1
    assert outputs[0] == "timed out after 0.5 s"
    assert all(o.startswith("Unavailable: previous check still running") for o in outputs[1:])
    # Once the dependency lets go (here: the server closes the socket), checks run again.
    hanging_server.close()
    stuck[0].join(timeout=10)
    assert not stuck[0].is_alive()
    with override_settings(CACHES=caches, FORGE=forge(HEALTH_TIMEOUT=0.5)):
        _, data, _ = get_json("/health/ready")
    assert "previous check" not in data["checks"]["cache:default"][0]["output"]


@pytest.mark.redis
def test_redis_and_a_redis_channel_layer_pass_when_reachable(redis_url: str) -> None:
    layers = {
        "default": {
            "BACKEND": "channels_redis.core.RedisChannelLayer",
            "CONFIG": {"hosts": [redis_url], "prefix": "forge-obs-test"},
        },
        "pubsub": {
            "BACKEND": "channels_redis.pubsub.RedisPubSubChannelLayer",
            "CONFIG": {"hosts": [redis_url], "prefix": "forge-obs-test"},
        },
    }
    with override_settings(FORGE={"REDIS_URL": redis_url}, CHANNEL_LAYERS=layers):
        for _ in range(3):  # every probe runs on a fresh event loop
            status, data, _ = get_json("/health/ready")
            assert status == 200, data
            assert data["checks"]["redis"][0]["status"] == "pass"
            assert data["checks"]["channel_layer:default"][0]["status"] == "pass"
            assert data["checks"]["channel_layer:pubsub"][0]["status"] == "pass"


def test_skip_and_extra_checks() -> None:
    extra = [("always-ok", "tests.observability.test_health.AlwaysOk", {"label": "x"})]
    with override_settings(FORGE=forge(HEALTH_SKIP=["storage", "mail"], HEALTH_EXTRA_CHECKS=extra)):
        found = names()
        status, data, _ = get_json("/health/ready")
    assert "storage:default" not in found
    assert "mail" not in found
    assert "always-ok" in found
    assert data["checks"]["always-ok"][0]["status"] == "pass"
    assert status == 200


@pytest.fixture
def counting() -> list[str]:
    Counting.runs.clear()
    return Counting.runs


def test_a_burst_of_readiness_probes_runs_the_checks_once(
    counting: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    now = [1000.0]
    monkeypatch.setattr(health, "_clock", lambda: now[0])
    extra = [("counting", "tests.observability.test_health.Counting", {})]
    with override_settings(FORGE=forge(HEALTH_EXTRA_CHECKS=extra, HEALTH_READY_CACHE=5)):
        for _ in range(3):
            assert get_json("/health/ready")[0] == 200
        assert len(counting) == 1
        get_json("/health/")  # the full report is never cached
        assert len(counting) == 2
        now[0] += 5.1  # older than HEALTH_READY_CACHE: run again
        get_json("/health/ready")
        assert len(counting) == 3
    # A settings change drops the cached report (a new configuration is checked at once).
    with override_settings(FORGE=forge(HEALTH_EXTRA_CHECKS=extra, HEALTH_READY_CACHE=5)):
        get_json("/health/ready")
        assert len(counting) == 4
    with override_settings(FORGE=forge(HEALTH_EXTRA_CHECKS=extra, HEALTH_READY_CACHE=0)):
        get_json("/health/ready")
        get_json("/health/ready")
        assert len(counting) == 6


def test_command_prints_each_component_and_exits_zero() -> None:
    out = StringIO()
    call_command("health", stdout=out)
    text = out.getvalue()
    assert "PASS  database:default" in text
    assert "status: pass" in text


def test_command_json_and_failure_exit() -> None:
    out = StringIO()
    call_command("health", "--ready", "--json", stdout=out)
    assert json.loads(out.getvalue())["status"] == "pass"
    with (
        override_settings(STORAGES={"default": {"BACKEND": "no.such.Storage"}}),
        pytest.raises(CommandError, match="storage:default"),
    ):
        call_command("health", stdout=StringIO())
    with pytest.raises(CommandError, match="--timeout must be greater than 0"):
        call_command("health", "--timeout", "0")


def test_command_exits_non_zero_in_a_real_process(tmp_path: Any) -> None:
    import subprocess

    from tests.observability.conftest import PYTHON, ROOT, subprocess_env

    ok = subprocess.run(
        [PYTHON, "manage.py", "health", "--ready"],
        cwd=ROOT,
        env=subprocess_env(DJANGO_SETTINGS_MODULE="tests.settings", FORGE_TEST_DB="sqlite"),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert ok.returncode == 0, ok.stderr
    bad = subprocess.run(
        [PYTHON, "manage.py", "health", "--ready"],
        cwd=ROOT,
        env=subprocess_env(
            DJANGO_SETTINGS_MODULE="tests.observability.nodb_settings",
            FORGE_OBS_DEAD_DB_PORT="1",
        ),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert bad.returncode == 1
    assert "FAIL  database:default" in bad.stdout
    assert "health check failed: database:default" in bad.stderr
    assert "Traceback" not in bad.stderr


def test_admin_overview_page() -> None:
    from django.contrib.auth import get_user_model

    admin = get_user_model().objects.create_superuser("root", "root@example.com", "pw-123456")
    client = Client()
    client.force_login(admin)
    response = client.get("/admin/forge_observability/healthoverview/")
    assert response.status_code == 200
    body = response.content.decode()
    assert "Health overview" in body
    assert "database:default" in body
    index = client.get("/admin/").content.decode()
    assert "/admin/forge_observability/healthoverview/" in index
    # Anonymous users are sent to the login page.
    assert Client().get("/admin/forge_observability/healthoverview/").status_code == 302


# A user-supplied django-health-check check for HEALTH_EXTRA_CHECKS.
import dataclasses  # noqa: E402

from health_check.base import HealthCheck  # noqa: E402


@dataclasses.dataclass
class AlwaysOk(HealthCheck):
    label: str = "ok"

    def run(self) -> None:
        return None


@dataclasses.dataclass
class Counting(HealthCheck):
    """Counts its runs (readiness caching test)."""

    runs: ClassVar[list[str]] = []

    def run(self) -> None:
        self.runs.append("ran")
