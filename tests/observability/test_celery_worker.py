"""Request ids reach a real Celery worker; its job metrics reach /metrics; the worker ping."""

from __future__ import annotations

import asyncio
import datetime
import json
import subprocess
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from celery import Celery
from django.test import Client, override_settings

from forge_suite.observability import bind_request_id, health
from tests.observability import urls as test_urls
from tests.observability.conftest import (
    BROKER_URL,
    PYTHON,
    ROOT,
    SentryStandIn,
    forge,
    subprocess_env,
)

pytestmark = [pytest.mark.slow, pytest.mark.redis, pytest.mark.usefixtures("obs_settings")]


WORKER_ARGS = ["--pool", "solo", "--without-gossip", "--without-mingle", "--without-heartbeat"]
WORKER_ARGS += ["-l", "INFO", "--include", "tests.observability.tasks"]
CELERY = [PYTHON, "-m", "celery", "-A", "forge_suite.celery", "worker"]


class Worker:
    def __init__(self, queue: str, log: Path, metrics_dir: Path, sentry_dsn: str) -> None:
        self.queue = queue
        self.log = log
        self.metrics_dir = metrics_dir
        self.out = log.open("w")
        self.proc = subprocess.Popen(
            [*CELERY, *WORKER_ARGS, "-Q", queue, "-n", f"{queue}@%h"],
            cwd=ROOT,
            env=subprocess_env(
                DJANGO_SETTINGS_MODULE="tests.observability.worker_settings",
                FORGE_OBS_BROKER_URL=BROKER_URL,
                FORGE_OBS_QUEUE=queue,
                PROMETHEUS_MULTIPROC_DIR=str(metrics_dir),
                FORGE_OBS_SENTRY_DSN=sentry_dsn,
            ),
            stdout=self.out,
            stderr=subprocess.STDOUT,
        )

    def text(self) -> str:
        return self.log.read_text()

    def wait_for(self, needle: str, timeout: float = 60) -> str:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            text = self.text()
            if needle in text:
                return text
            assert self.proc.poll() is None, f"worker exited:\n{text}"
            time.sleep(0.2)
        raise AssertionError(f"{needle!r} not in worker log:\n{self.text()}")

    def stop(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.proc.kill()
        self.out.close()


@pytest.fixture(scope="module")
def sentry_host() -> Iterator[SentryStandIn]:
    server = SentryStandIn()
    yield server
    server.close()


@pytest.fixture(scope="module")
def worker(
    tmp_path_factory: pytest.TempPathFactory, sentry_host: SentryStandIn
) -> Iterator[Worker]:
    from tests.services import require

    require("redis")
    base = tmp_path_factory.mktemp("worker")
    metrics_dir = base / "metrics"
    metrics_dir.mkdir()
    queue = f"forge-obs-{uuid.uuid4().hex[:10]}"
    proc = Worker(queue, base / "worker.log", metrics_dir, sentry_host.dsn)
    publisher = Celery("forge-obs-tests", broker=BROKER_URL, set_as_current=False)
    publisher.conf.task_default_queue = queue
    test_urls.PUBLISHER.update(app=publisher, queue=queue)
    try:
        proc.wait_for("ready.")
        yield proc
    finally:
        test_urls.PUBLISHER.clear()
        proc.stop()
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


def test_the_request_id_reaches_the_job_logs(worker: Worker, json_log: Any) -> None:
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


def test_jobs_without_a_request_get_no_stale_id(worker: Worker) -> None:
    marker = uuid.uuid4().hex
    test_urls.PUBLISHER["app"].send_task(
        "forge_obs_tests.log_in_job", args=[marker], queue=worker.queue
    )
    text = worker.wait_for(f"job ran {marker}")
    job = [r for r in json_lines(text) if r.get("event") == f"job ran {marker}"]
    assert "request_id" not in job[0]


def test_metrics_show_the_jobs_the_worker_ran(worker: Worker, monkeypatch: Any) -> None:
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


def test_the_celery_check_pings_the_real_worker(worker: Worker) -> None:
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
    worker: Worker, sentry_host: SentryStandIn
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
