"""/metrics: protection, the suite metrics, django-prometheus wiring, multiprocess mode."""

from __future__ import annotations

import subprocess
from pathlib import Path
from typing import Any

import pytest
from django.test import Client, override_settings
from prometheus_client import REGISTRY

from forge_suite.observability import metrics
from forge_suite.observability.prometheus import (
    AFTER,
    BEFORE,
    REQUEST_ID,
    instrument_caches,
    instrument_databases,
    with_middleware,
)
from tests.observability.conftest import MIDDLEWARE, PYTHON, ROOT, forge, subprocess_env

pytestmark = pytest.mark.usefixtures("obs_settings")


def sample(name: str, **labels: str) -> float:
    return REGISTRY.get_sample_value(name, labels) or 0.0


#: What a test needs to scrape /metrics from the test client (REMOTE_ADDR 127.0.0.1).
LOOPBACK = forge(METRICS_ALLOWED_IPS=["127.0.0.1/32", "::1/128"])


@override_settings(FORGE=LOOPBACK)
def test_an_allowlisted_address_sees_the_suite_metrics() -> None:
    metrics.record_mail("smtp", "sent")
    metrics.record_throttle_decision("login", allowed=False)
    response = Client().get("/metrics")  # the test client's REMOTE_ADDR is 127.0.0.1
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/plain")
    body = response.content.decode()
    assert 'forge_mails_total{provider="smtp",status="sent"}' in body
    assert 'forge_throttle_decisions_total{outcome="limited",policy="login"}' in body


def test_loopback_is_trusted_by_default_only_under_debug() -> None:
    """Loopback used to be trusted implicitly; behind a local proxy that is every client."""
    with override_settings(FORGE={}, DEBUG=False):
        assert Client().get("/metrics").status_code == 403
    with override_settings(FORGE={}, DEBUG=True):
        assert Client().get("/metrics").status_code == 200
        assert Client(REMOTE_ADDR="203.0.113.9").get("/metrics").status_code == 403


def test_other_addresses_get_403() -> None:
    response = Client(REMOTE_ADDR="203.0.113.9").get("/metrics")
    assert response.status_code == 403
    assert b"forge_" not in response.content


@pytest.mark.parametrize("debug", [False, True])
def test_a_configured_token_is_never_bypassed_by_loopback(debug: bool) -> None:
    """With METRICS_TOKEN set, loopback (and any address) needs the token."""
    with override_settings(FORGE=forge(METRICS_TOKEN="s3cret-token"), DEBUG=debug):
        assert Client().get("/metrics").status_code == 403
        bad = Client().get("/metrics", HTTP_AUTHORIZATION="Bearer wrong")
        assert bad.status_code == 403
        outsider = Client(REMOTE_ADDR="203.0.113.9")
        ok = outsider.get("/metrics", HTTP_AUTHORIZATION="Bearer s3cret-token")
        assert ok.status_code == 200


def test_an_explicit_allowlist_without_a_token() -> None:
    with override_settings(FORGE=forge(METRICS_ALLOWED_IPS=["10.0.0.0/8"])):
        assert Client(REMOTE_ADDR="10.1.2.3").get("/metrics").status_code == 200
        assert Client(REMOTE_ADDR="127.0.0.1").get("/metrics").status_code == 403
        assert Client(REMOTE_ADDR="not-an-ip").get("/metrics").status_code == 403


def test_allowlist_and_token_together_need_both() -> None:
    options = forge(METRICS_ALLOWED_IPS=["10.0.0.0/8"], METRICS_TOKEN="s3cret-token")
    with override_settings(FORGE=options):
        inside = Client(REMOTE_ADDR="10.1.2.3")
        assert inside.get("/metrics").status_code == 403
        assert inside.get("/metrics", HTTP_AUTHORIZATION="Bearer no").status_code == 403
        ok = inside.get("/metrics", HTTP_AUTHORIZATION="Bearer s3cret-token")
        assert ok.status_code == 200
        outsider = Client(REMOTE_ADDR="203.0.113.9")
        assert outsider.get("/metrics", HTTP_AUTHORIZATION="Bearer s3cret-token").status_code == 403


def test_the_contract_functions_record() -> None:
    before = sample("forge_jobs_total", queue="q1", task="t.a", state="failure")
    metrics.record_job("q1", "t.a", "failure", runtime=0.2)
    assert sample("forge_jobs_total", queue="q1", task="t.a", state="failure") == before + 1
    assert sample("forge_job_runtime_seconds_count", queue="q1", task="t.a") >= 1
    metrics.record_event_appended("OrderPlaced")
    assert sample("forge_events_appended_total", event_type="OrderPlaced") >= 1
    open_before = sample("forge_ws_connections", app="chat")
    metrics.ws_connection_opened("chat")
    metrics.ws_connection_opened("chat")
    metrics.ws_connection_closed("chat")
    assert sample("forge_ws_connections", app="chat") == open_before + 1
    metrics.record_ws_message("chat", "in")
    assert sample("forge_ws_messages_total", app="chat", direction="in") >= 1
    metrics.record_subscription("chat", "presence")
    assert sample("forge_ws_subscriptions_total", app="chat", channel_type="presence") >= 1


def test_metric_updates_never_raise() -> None:
    metrics.record_job("q", "t", "success", runtime="not a number")  # type: ignore[arg-type]


@override_settings(FORGE=LOOPBACK)
def test_django_prometheus_request_metrics_are_wired() -> None:
    wired = with_middleware(MIDDLEWARE)
    assert wired[0] == BEFORE
    assert wired[1] == REQUEST_ID
    assert wired[-1] == AFTER
    assert wired.count(REQUEST_ID) == 1
    assert with_middleware(wired) == wired  # idempotent
    name = "django_http_responses_total_by_status_view_method_total"
    labels = {"status": "200", "view": "forge_observability:live", "method": "GET"}
    before = sample(name, **labels)
    with override_settings(MIDDLEWARE=wired):
        response = Client().get("/health/live")
        assert response["X-Request-ID"]
        body = Client().get("/metrics").content.decode()
    assert sample(name, **labels) == before + 1
    assert "django_http_requests_latency_seconds_by_view_method" in body


def test_database_and_cache_instrumentation_helpers() -> None:
    dbs = instrument_databases(
        {
            "default": {"ENGINE": "django.db.backends.postgresql", "NAME": "x"},
            "other": {"ENGINE": "custom.engine"},
        }
    )
    assert dbs["default"] == {"ENGINE": "django_prometheus.db.backends.postgresql", "NAME": "x"}
    assert dbs["other"]["ENGINE"] == "custom.engine"
    caches = instrument_caches(
        {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    )
    assert caches["default"]["BACKEND"] == "django_prometheus.cache.backends.locmem.LocMemCache"


def test_an_instrumented_cache_records_hits_and_misses() -> None:
    caches = instrument_caches(
        {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    )
    with override_settings(CACHES=caches):
        from django.core.cache import caches as django_caches

        cache = django_caches["default"]
        before = sample("django_cache_get_hits_total", backend="locmem")
        cache.set("k", 1)
        assert cache.get("k") == 1
        assert sample("django_cache_get_hits_total", backend="locmem") == before + 1


RECORD = (
    "import os, sys; from forge_suite.observability import metrics;\n"
    "n = int(sys.argv[1])\n"
    "for _ in range(n): metrics.record_job('mp-queue', 'mp.task', 'success', 0.05)\n"
    "metrics.ws_connection_opened('mp')\n"
    "print(os.getpid())\n"
)


@override_settings(FORGE=LOOPBACK)
def test_multiprocess_mode_sums_two_processes(tmp_path: Path, monkeypatch: Any) -> None:
    env = subprocess_env(PROMETHEUS_MULTIPROC_DIR=str(tmp_path))
    pids = []
    for count in (5, 7):
        done = subprocess.run(
            [PYTHON, "-c", RECORD, str(count)],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
            check=True,
        )
        pids.append(int(done.stdout.strip()))
    assert len(list(tmp_path.glob("*.db"))) >= 2  # one file per process and metric kind

    monkeypatch.setenv("PROMETHEUS_MULTIPROC_DIR", str(tmp_path))
    body = Client().get("/metrics").content.decode()
    line = 'forge_jobs_total{queue="mp-queue",state="success",task="mp.task"} 12.0'
    assert line in body
    assert 'forge_job_runtime_seconds_count{queue="mp-queue",task="mp.task"} 12.0' in body
    assert 'forge_ws_connections{app="mp"} 2.0' in body

    # A dead worker's live gauge drops out once the server's child-exit hook reports it.
    metrics.mark_process_dead(pids[0])
    body = Client().get("/metrics").content.decode()
    assert 'forge_ws_connections{app="mp"} 1.0' in body
    assert line in body  # counters keep the dead process's total


def _jobs_total(task: str) -> float:
    """forge_jobs_total of ``task`` summed over every queue and state label."""
    from prometheus_client import REGISTRY

    return sum(
        s.value
        for family in REGISTRY.collect()
        if family.name == "forge_jobs"
        for s in family.samples
        if s.name == "forge_jobs_total" and s.labels.get("task") == task
    )


@pytest.mark.needs_apps("forge_suite.scheduling")
@pytest.mark.parametrize("task_metrics", [False, True])
def test_a_job_is_counted_exactly_once(task_metrics: bool) -> None:
    """Scheduling (installed here) owns forge_jobs_total; TASK_METRICS must not count again."""
    from tests.observability.tasks import log_in_job

    before = _jobs_total("forge_obs_tests.log_in_job")
    with override_settings(FORGE=forge(TASK_METRICS=task_metrics)):
        log_in_job.delay("once")  # eager in the tests
    assert _jobs_total("forge_obs_tests.log_in_job") == before + 1


def test_task_metrics_count_through_celery_signals_when_scheduling_is_absent(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from forge_suite.observability import jobs
    from tests.observability.tasks import log_in_job

    monkeypatch.setattr(jobs, "scheduling_owns_job_metrics", lambda: False)
    labels = {"queue": "eager", "task": "forge_obs_tests.log_in_job", "state": "success"}
    before = sample("forge_jobs_total", **labels)
    log_in_job.delay("off")
    assert sample("forge_jobs_total", **labels) == before
    with override_settings(FORGE=forge(TASK_METRICS=True)):
        log_in_job.delay("on")
    assert sample("forge_jobs_total", **labels) == before + 1


@pytest.mark.needs_apps("forge_suite.scheduling")
def test_a_check_warns_when_task_metrics_and_scheduling_would_both_count() -> None:
    from forge_suite.observability.checks import check_task_metrics

    assert check_task_metrics() == []
    with override_settings(FORGE=forge(TASK_METRICS=True)):
        warnings = check_task_metrics()
        assert [w.id for w in warnings] == ["forge_observability.W001"]
        assert "counted once" in warnings[0].msg
        assert warnings[0].hint
    # Registered by ObservabilityConfig.ready(), so manage.py check runs it.
    from django.core.checks import registry

    assert check_task_metrics in registry.registry.registered_checks
