"""W3C Trace Context next to the request id: parsing, HTTP, WebSockets and Celery headers."""

from __future__ import annotations

import io
import json

import pytest
from channels.generic.websocket import AsyncJsonWebsocketConsumer
from channels.testing import WebsocketCommunicator
from django.test import Client

from forge_suite.observability import tracing
from forge_suite.observability.asgi import RequestIdASGIMiddleware
from forge_suite.observability.jobs import _before_publish

pytestmark = pytest.mark.usefixtures("obs_settings")

TRACE = "4bf92f3577b34da6a3ce929d0e0e4736"
PARENT = "00f067aa0ba902b7"
VALID = f"00-{TRACE}-{PARENT}-01"


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        (VALID, (TRACE, PARENT, "01")),
        (f"00-{TRACE}-{PARENT}-00", (TRACE, PARENT, "00")),
        # A later version may add fields after a dash; they are ignored.
        (f"cc-{TRACE}-{PARENT}-01-what-the-future-holds", (TRACE, PARENT, "01")),
        (f"  {VALID} ", (TRACE, PARENT, "01")),
    ],
)
def test_valid_traceparents_are_accepted(header: str, expected: tuple[str, str, str]) -> None:
    context = tracing.parse_traceparent(header)
    assert context is not None
    assert (context.trace_id, context.span_id, context.flags) == expected


@pytest.mark.parametrize(
    "header",
    [
        "",
        "garbage",
        f"ff-{TRACE}-{PARENT}-01",  # version ff is forbidden
        f"00-{'0' * 32}-{PARENT}-01",  # all-zero trace id
        f"00-{TRACE}-{'0' * 16}-01",  # all-zero parent id
        f"00-{TRACE.upper()}-{PARENT}-01",  # upper-case hex
        f"00-{TRACE}-{PARENT}-01-extra",  # version 00 has exactly four fields
        f"00-{TRACE[:-1]}-{PARENT}-01",
        f"00-{TRACE}-{PARENT}-1",
        f"cc-{TRACE}-{PARENT}-01x",
    ],
)
def test_invalid_traceparents_are_refused(header: str) -> None:
    assert tracing.parse_traceparent(header) is None


def test_tracestate_is_kept_when_printable_and_short() -> None:
    assert tracing.parse_traceparent(VALID, "rojo=00f067aa0ba902b7").tracestate == (  # type: ignore[union-attr]
        "rojo=00f067aa0ba902b7"
    )
    assert tracing.parse_traceparent(VALID, "x=" + "a" * 600).tracestate == ""  # type: ignore[union-attr]
    assert tracing.parse_traceparent(VALID, "x=\x01y").tracestate == ""  # type: ignore[union-attr]


def records(stream: io.StringIO) -> list[dict[str, object]]:
    return [json.loads(line) for line in stream.getvalue().splitlines() if line.strip()]


def test_a_request_continues_the_callers_trace_in_its_log_lines(json_log: io.StringIO) -> None:
    response = Client().get("/t/hello", HTTP_TRACEPARENT=VALID, HTTP_TRACESTATE="rojo=1")
    assert response.status_code == 200
    lines = records(json_log)
    view = next(r for r in lines if r["event"] == "view says hi")
    access = next(r for r in lines if r["event"] == "request finished")
    assert view["trace_id"] == access["trace_id"] == TRACE
    # The request is a new span of that trace: a child of the caller's.
    assert view["span_id"] == access["span_id"] != PARENT
    assert len(str(view["span_id"])) == 16


def test_a_request_without_a_valid_traceparent_starts_a_trace(json_log: io.StringIO) -> None:
    Client().get("/t/hello", HTTP_TRACEPARENT=f"00-{TRACE.upper()}-{PARENT}-01")
    Client().get("/t/hello")
    views = [r for r in records(json_log) if r["event"] == "view says hi"]
    assert len(views) == 2
    trace_ids = {str(v["trace_id"]) for v in views}
    assert len(trace_ids) == 2
    assert TRACE not in trace_ids
    assert TRACE.upper() not in trace_ids
    assert all(len(t) == 32 for t in trace_ids)
    assert tracing.get_trace() is None  # nothing left behind after the requests


def test_jobs_published_in_a_trace_carry_a_child_traceparent() -> None:
    headers: dict[str, object] = {}
    _before_publish(headers=headers)
    assert "traceparent" not in headers  # no current trace, nothing to continue

    with tracing.bind_trace(tracing.TraceContext(TRACE, PARENT, "01", "rojo=1")):
        _before_publish(headers=headers)
    job = tracing.parse_traceparent(str(headers["traceparent"]), str(headers["tracestate"]))
    assert job is not None
    assert (job.trace_id, job.flags, job.tracestate) == (TRACE, "01", "rojo=1")
    assert job.span_id != PARENT
    # An explicit traceparent of the publisher is left alone.
    kept = {"traceparent": VALID}
    with tracing.bind_trace(tracing.TraceContext(TRACE, "1" * 16)):
        _before_publish(headers=kept)
    assert kept["traceparent"] == VALID


class TraceEcho(AsyncJsonWebsocketConsumer):  # type: ignore[misc]
    async def connect(self) -> None:
        await self.accept()
        trace = tracing.current_trace()
        await self.send_json({"trace_id": trace.trace_id if trace else None})


async def test_a_websocket_handshake_continues_the_trace() -> None:
    app = RequestIdASGIMiddleware(TraceEcho.as_asgi())
    headers = [(b"traceparent", VALID.encode())]
    communicator = WebsocketCommunicator(app, "/ws/", headers=headers)
    connected, _ = await communicator.connect()
    assert connected
    assert await communicator.receive_json_from() == {"trace_id": TRACE}
    await communicator.disconnect()

    plain = WebsocketCommunicator(app, "/ws/")
    await plain.connect()
    started = (await plain.receive_json_from())["trace_id"]
    assert started
    assert started != TRACE
    await plain.disconnect()
