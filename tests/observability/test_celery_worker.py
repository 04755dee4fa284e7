"""Request ids reach a real Celery worker; its job metrics reach /metrics; the worker ping."""

from __future__ import annotations

import asyncio
import datetime
import json
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from celery import Celery
from django.test import Client, override_settings

from forge_suite.observability import bind_request_id, health
from tests.observability import urls as test_urls
from tests.observability.conftest import BROKER_URL, SentryStandIn, forge
from tests.support.workers import Worker, WorkerGroup, celery_worker

pytestmark = [pytest.mark.slow, pytest.mark.redis, pytest.mark.usefixtures("obs_settings")]


WORKER_ARGS = ["--without-gossip", "--without-mingle", "--without-heartbeat"]


@dataclass
class ObsWorker:
    """The shared launcher's worker, with the queue it consumes and its metrics directory."""

    process: Worker
    queue: str
    metrics_dir: Path

    def wait_for(self, needle: str, timeout: float = 60) -> str:
        return self.process.wait_for(needle, timeout)


@pytest.fixture(scope="module")
def sentry_host() -> Iterator[SentryStandIn]:
    server = SentryStandIn()
    yield server
    server.close()


@pytest.fixture(scope="module")
def worker(
    tmp_path_factory: pytest.TempPathFactory, sentry_host: SentryStandIn
) -> Iterator[ObsWorker]:
    from tests.services import require

    require("redis")
    base = tmp_path_factory.mktemp("worker")
    metrics_dir = base / "metrics"
    metrics_dir.mkdir()
    queue = f"forge-obs-{uuid.uuid4().hex[:10]}"
    group = WorkerGroup(base)
    command = celery_worker(
        queue, hostname=f"{queue}@%h", include=["tests.observability.tasks"], args=WORKER_ARGS
    )
    env = {
        "FORGE_OBS_BROKER_URL": BROKER_URL,
        "FORGE_OBS_QUEUE": queue,
        "PROMETHEUS_MULTIPROC_DIR": str(metrics_dir),
        "FORGE_OBS_SENTRY_DSN": sentry_host.dsn,
    }
    publisher = Celery("forge-obs-tests", broker=BROKER_URL, set_as_current=False)
    publisher.conf.task_default_queue = queue
    test_urls.PUBLISHER.update(app=publisher, queue=queue)
    try:
        worker = group.start(command, settings="tests.observability.worker_settings", env=env)
        yield ObsWorker(worker, queue, metrics_dir)
    finally:
        test_urls.PUBLISHER.clear()
        group.stop_all()
        publisher.close()
        import redis

        # Only this test's queue and the worker's reply queues: never the whole database.
        client = redis.Redis.from_url(BROKER_URL)
        client.delete(queue, f"_kombu.binding.{queue}", f"_kombu.binding_permanent.{queue}")
        client.close()


def json_lines(text: str) -> list[dict[str, Any]]:
    records = []
    for line in text.splitlines():
        if line.startswith("{"):
            try:
                records.append(json.loads(line))
            except ValueError:
                continue
    return records


def test_the_request_id_reaches_the_job_logs(worker: ObsWorker, json_log: Any) -> None:
    marker = uuid.uuid4().hex
    response = Client().get(f"/t/enqueue?marker={marker}", HTTP_X_REQUEST_ID="abc123")
    assert response.status_code == 200
    assert response["X-Request-ID"] == "abc123"
    view = [r for r in json_lines(json_log.getvalue()) if r["event"] == "view enqueues a job"]
    assert view[0]["request_id"] == "abc123"

    text = worker.wait_for(f"job ran {marker}")
    job = [r for r in json_lines(text) if r.get("event") == f"job ran {marker}"]
    assert job, text
    assert job[0]["request_id"] == "abc123"
    assert job[0]["logger"] == "tests.observability.job"
    # Celery's own "succeeded" line for the task carries the id too.
    task_id = response.content.decode()
    done = [r for r in json_lines(text) if task_id in r.get("event", "") and r.get("request_id")]
    assert done
    assert all(r["request_id"] == "abc123" for r in done)


def test_jobs_without_a_request_get_no_stale_id(worker: ObsWorker) -> None:
    marker = uuid.uuid4().hex
    test_urls.PUBLISHER["app"].send_task(
        "forge_obs_tests.log_in_job", args=[marker], queue=worker.queue
    )
    text = worker.wait_for(f"job ran {marker}")
    job = [r for r in json_lines(text) if r.get("event") == f"job ran {marker}"]
    assert "request_id" not in job[0]


def test_metrics_show_the_jobs_the_worker_ran(worker: ObsWorker, monkeypatch: Any) -> None:
    marker = uuid.uuid4().hex
    Client().get(f"/t/enqueue?marker={marker}")
    worker.wait_for(f"job ran {marker}")
    worker.wait_for("succeeded in")
    # This process reads the files the worker process wrote (multiprocess mode).
    monkeypatch.setenv("PROMETHEUS_MULTIPROC_DIR", str(worker.metrics_dir))
    deadline = time.monotonic() + 10
    sample = ""
    while time.monotonic() < deadline:
        with override_settings(FORGE=forge(METRICS_ALLOWED_IPS=["127.0.0.1/32"])):
            body = Client().get("/metrics").content.decode()
        lines = [
            line
            for line in body.splitlines()
            if line.startswith("forge_jobs_total{")
            and f'queue="{worker.queue}"' in line
            and 'task="forge_obs_tests.log_in_job"' in line
            and 'state="success"' in line
        ]
        if lines:
            sample = lines[0]
            break
        time.sleep(0.2)
    assert sample, body
    assert float(sample.rsplit(" ", 1)[1]) >= 1
    assert "forge_job_runtime_seconds_count" in body
    # Unauthorised scrapers still get nothing.
    with override_settings(FORGE=forge(METRICS_ALLOWED_IPS=[])):
        assert Client().get("/metrics").status_code == 403


def test_the_celery_check_pings_the_real_worker(worker: ObsWorker) -> None:
    from health_check.contrib.celery import Ping

    publisher = test_urls.PUBLISHER["app"]
    ping = Ping(app=publisher, timeout=datetime.timedelta(seconds=3), limit=1)
    component = health.Component("celery", "celery", "component", ping)
    report = asyncio.run(health.run(only=[component], timeout=5))
    assert report.results[0].status == "pass", report.results[0].output

    nobody = Celery("forge-obs-nobody", broker="redis://127.0.0.1:1/0", set_as_current=False)
    nobody.conf.broker_connection_retry_on_startup = False
    nobody.conf.broker_connection_max_retries = 0
    ping = Ping(app=nobody, timeout=datetime.timedelta(seconds=1), limit=1)
    failing = health.Component("celery", "celery", "component", ping)
    report = asyncio.run(health.run(only=[failing], timeout=3))
    assert report.results[0].status == "fail"
    nobody.close()


def test_a_failing_job_reaches_sentry_with_the_request_id(
    worker: ObsWorker, sentry_host: SentryStandIn
) -> None:
    marker = uuid.uuid4().hex
    publisher = test_urls.PUBLISHER["app"]
    with bind_request_id("job-req-7"):
        publisher.send_task("forge_obs_tests.fail_in_job", args=[marker], queue=worker.queue)
    worker.wait_for(f"job failed {marker}")
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        events = [e for e in sentry_host.events() if marker in json.dumps(e.get("exception", {}))]
        if events:
            break
        time.sleep(0.2)
    assert events, sentry_host.bodies
    assert events[0]["tags"]["request_id"] == "job-req-7"
    assert events[0]["environment"] == "worker-test"


def test_the_trace_context_reaches_the_job_logs(worker: ObsWorker, json_log: Any) -> None:
    """Without OpenTelemetry: the suite's own traceparent header crosses the broker."""
    trace, parent = "6bf92f3577b34da6a3ce929d0e0e4738", "20f067aa0ba902b9"
    marker = uuid.uuid4().hex
    response = Client().get(
        f"/t/enqueue?marker={marker}", HTTP_TRACEPARENT=f"00-{trace}-{parent}-01"
    )
    assert response.status_code == 200
    view = [r for r in json_lines(json_log.getvalue()) if r["event"] == "view enqueues a job"]
    assert view[0]["trace_id"] == trace

    text = worker.wait_for(f"job ran {marker}")
    job = [r for r in json_lines(text) if r.get("event") == f"job ran {marker}"]
    assert job, text
    assert job[0]["trace_id"] == trace
    # The job is a span of its own: neither the caller's nor the request's.
    assert job[0]["span_id"] not in {parent, view[0]["span_id"]}
