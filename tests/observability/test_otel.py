"""OpenTelemetry tracing exported over OTLP/HTTP to a local receiver: a request continuing the
caller's W3C trace, the job it publishes run by a real Celery worker, and a realtime broadcast,
all in one trace with the right parents."""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Iterator
from typing import Any

import pytest

from tests.observability.conftest import BROKER_URL, Server
from tests.support.http_sink import HttpSink, Request
from tests.support.workers import WorkerGroup, celery_worker

pytest.importorskip("opentelemetry.sdk", reason="the otel extra")

pytestmark = [pytest.mark.slow, pytest.mark.redis]

TRACE = "5bf92f3577b34da6a3ce929d0e0e4737"
PARENT = "10f067aa0ba902b8"
#: Export every 100 ms instead of every 5 s (the SDK's standard environment variable).
FAST_EXPORT = {"OTEL_BSP_SCHEDULE_DELAY": "100"}


def spans_of(requests: list[Request]) -> list[dict[str, Any]]:
    """Every span the receiver got: name, kind, ids (hex), service and attributes."""
    from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import (
        ExportTraceServiceRequest,
    )

    found = []
    for request in list(requests):
        if request.path != "/v1/traces":
            continue
        message = ExportTraceServiceRequest()
        message.ParseFromString(request.body)
        for resource_spans in message.resource_spans:
            service = next(
                a.value.string_value
                for a in resource_spans.resource.attributes
                if a.key == "service.name"
            )
            for scope_spans in resource_spans.scope_spans:
                for span in scope_spans.spans:
                    found.append(
                        {
                            "name": span.name,
                            "kind": span.kind,
                            "trace_id": span.trace_id.hex(),
                            "span_id": span.span_id.hex(),
                            "parent": span.parent_span_id.hex(),
                            "service": service,
                            "attributes": {a.key: a.value for a in span.attributes},
                        }
                    )
    return found


def wait_for_spans(sink: HttpSink, want: Any, timeout: float = 20) -> list[dict[str, Any]]:
    deadline = time.monotonic() + timeout
    spans: list[dict[str, Any]] = []
    while time.monotonic() < deadline:
        spans = spans_of(sink.requests)
        if want(spans):
            return spans
        time.sleep(0.1)
    raise AssertionError(f"spans never arrived; got {json.dumps(spans, default=str)[:3000]}")


@pytest.fixture(scope="module")
def receiver() -> Iterator[HttpSink]:
    with HttpSink() as sink:
        yield sink


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory, receiver: HttpSink) -> Iterator[Server]:
    from tests.services import require

    require("redis")
    queue = f"forge-otel-{uuid.uuid4().hex[:10]}"
    env = {
        "FORGE_OBS_BROKER_URL": BROKER_URL,
        "FORGE_OBS_QUEUE": queue,
        "FORGE_OBS_OTLP_ENDPOINT": receiver.url,
        **FAST_EXPORT,
    }
    group = WorkerGroup(tmp_path_factory.mktemp("otel-worker"))
    command = celery_worker(queue, include=["tests.observability.tasks"])
    server = None
    try:
        group.start(command, settings="tests.observability.worker_settings", env=env)
        server = Server("tests.observability.otel_settings", **env)
        yield server
    finally:
        if server is not None:
            server.stop()
        group.stop_all()
        import redis

        client = redis.Redis.from_url(BROKER_URL)
        client.delete(queue, f"_kombu.binding.{queue}")
        client.close()


def test_request_job_and_broadcast_spans_continue_the_callers_trace(
    stack: Server, receiver: HttpSink
) -> None:
    marker = uuid.uuid4().hex
    traceparent = {"traceparent": f"00-{TRACE}-{PARENT}-01"}
    status, _, headers = stack.get(f"/t/enqueue-configured?marker={marker}", traceparent)
    assert status == 200
    assert headers["X-Request-ID"]  # the request id still travels next to the trace
    status, _, _ = stack.get(f"/t/broadcast?marker={marker}", traceparent)
    assert status == 200

    def complete(spans: list[dict[str, Any]]) -> bool:
        names = {(s["service"], s["name"]) for s in spans if s["trace_id"] == TRACE}
        return ("forge-tests-worker", "run/forge_obs_tests.log_in_job") in names and (
            "forge-tests-web",
            "realtime broadcast",
        ) in names

    spans = [s for s in wait_for_spans(receiver, complete) if s["trace_id"] == TRACE]
    servers = [s for s in spans if s["service"] == "forge-tests-web" and s["kind"] == 2]
    # Two server spans (one per request), both children of the caller's span.
    assert len(servers) == 2, spans
    assert {s["parent"] for s in servers} == {PARENT}
    enqueue = next(s for s in servers if "enqueue" in s["name"] or "enqueue" in str(s))
    publish = next(s for s in spans if s["name"] == "apply_async/forge_obs_tests.log_in_job")
    assert publish["parent"] == enqueue["span_id"]
    run = next(s for s in spans if s["name"] == "run/forge_obs_tests.log_in_job")
    assert run["service"] == "forge-tests-worker"
    assert run["parent"] == publish["span_id"]  # the traceparent crossed the broker
    broadcast = next(s for s in spans if s["name"] == "realtime broadcast")
    assert broadcast["parent"] in {s["span_id"] for s in servers}
    assert broadcast["attributes"]["realtime.event"].string_value == "traced"


def test_log_lines_carry_the_otel_trace_and_span_ids(stack: Server, receiver: HttpSink) -> None:
    trace = uuid.uuid4().hex
    marker = uuid.uuid4().hex
    stack.get(f"/t/hello?marker={marker}", {"traceparent": f"00-{trace}-{PARENT}-01"})
    spans = wait_for_spans(
        receiver, lambda found: any(s["trace_id"] == trace and s["kind"] == 2 for s in found)
    )
    server_span = next(s for s in spans if s["trace_id"] == trace and s["kind"] == 2)
    output = stack.stop()
    lines = [json.loads(line) for line in output.splitlines() if line.startswith("{")]
    view = [r for r in lines if r.get("event") == "view says hi" and r.get("trace_id") == trace]
    assert view, output[-3000:]
    assert view[0]["span_id"] == server_span["span_id"]
