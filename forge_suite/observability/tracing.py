"""W3C Trace Context next to the request id, and optional OpenTelemetry tracing over OTLP.

**Trace context, always on.** An incoming ``traceparent`` header (HTTP requests, WebSocket
handshakes) that is valid by the W3C Trace Context rules continues that trace; otherwise the
request starts a new one. The current trace is kept like the request id: every log line carries
``trace_id`` and ``span_id``, and a Celery job published while it is current gets a
``traceparent`` header (with ``tracestate``), so the job's own log lines continue the trace in
the worker. No OpenTelemetry package is needed for this.

**OpenTelemetry tracing, opt-in.** With ``FORGE["OBSERVABILITY"]["OTLP_ENDPOINT"]`` set (and the
``otel`` extra installed), the app's ``ready()`` sets up the OpenTelemetry SDK with a batch
exporter over OTLP/HTTP and instruments Django (a server span per request) and Celery (a span
per publish and per job run, linked through the same ``traceparent`` header). Suite code wraps
its own units of work in :func:`forge_suite.core.tracing.span` (realtime broadcasts, for
instance), and WebSocket connections get a span of their own. The trace and span ids in the log
lines are then OpenTelemetry's, and the suite's own propagation steps aside.
"""

from __future__ import annotations

import contextlib
import logging
import re
import secrets
from collections.abc import Iterator, Mapping, MutableMapping
from contextvars import ContextVar
from typing import Any, NamedTuple

__all__ = [
    "TRACEPARENT",
    "TRACESTATE",
    "TraceContext",
    "bind_trace",
    "configure",
    "continue_or_start",
    "current_trace",
    "get_trace",
    "inject",
    "otel_enabled",
    "parse_traceparent",
    "websocket_span",
]

logger = logging.getLogger("forge_suite.observability.tracing")

TRACEPARENT = "traceparent"
TRACESTATE = "tracestate"

_TRACEPARENT_RE = re.compile(r"([0-9a-f]{2})-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})")
_ZERO_TRACE = "0" * 32
_ZERO_SPAN = "0" * 16
#: The specification's limit on what a vendor must propagate.
_TRACESTATE_MAX = 512
_TRACESTATE_RE = re.compile(r"[\x20-\x7e]*")


class TraceContext(NamedTuple):
    """One unit of work in a trace: the W3C ``traceparent`` fields plus ``tracestate``."""

    trace_id: str
    span_id: str
    flags: str = "00"
    tracestate: str = ""

    @property
    def sampled(self) -> bool:
        return bool(int(self.flags, 16) & 1)

    def header(self) -> str:
        """This context as a ``traceparent`` value (version 00)."""
        return f"00-{self.trace_id}-{self.span_id}-{self.flags}"

    def child(self) -> TraceContext:
        """A new unit of work in the same trace (a fresh span id)."""
        return self._replace(span_id=_new_span_id())


def _new_span_id() -> str:
    while True:
        value = secrets.token_hex(8)
        if value != _ZERO_SPAN:
            return value


def _new_trace_id() -> str:
    while True:
        value = secrets.token_hex(16)
        if value != _ZERO_TRACE:
            return value


def parse_traceparent(value: str | None, tracestate: str | None = None) -> TraceContext | None:
    """The context a ``traceparent`` header carries, or None when it is not valid.

    W3C Trace Context, level 1: lowercase hex fields; version ``ff`` and all-zero trace or
    parent ids are invalid; version ``00`` is exactly 55 characters; a later version may append
    fields after a ``-``, which are ignored. ``tracestate`` is kept when printable and at most
    512 characters (the part every vendor must propagate), dropped otherwise.
    """
    if not value:
        return None
    value = value.strip()
    match = _TRACEPARENT_RE.match(value)
    if match is None:
        return None
    version, trace_id, span_id, flags = match.groups()
    if version == "ff" or trace_id == _ZERO_TRACE or span_id == _ZERO_SPAN:
        return None
    if version == "00" and len(value) != 55:
        return None
    if len(value) > 55 and value[55] != "-":
        return None
    state = (tracestate or "").strip()
    if len(state) > _TRACESTATE_MAX or not _TRACESTATE_RE.fullmatch(state):
        state = ""
    return TraceContext(trace_id, span_id, flags, state)


_trace: ContextVar[TraceContext | None] = ContextVar("forge_trace", default=None)


def get_trace() -> TraceContext | None:
    """The suite's own current trace context (None outside a request or job)."""
    return _trace.get()


def current_trace() -> TraceContext | None:
    """The trace of the work being done now: OpenTelemetry's current span when tracing is on
    and a span is recording, else the suite's own context."""
    if _otel["provider"] is not None:
        from opentelemetry import trace

        context = trace.get_current_span().get_span_context()
        if context.is_valid:
            return TraceContext(
                format(context.trace_id, "032x"),
                format(context.span_id, "016x"),
                format(int(context.trace_flags), "02x"),
                context.trace_state.to_header() if context.trace_state else "",
            )
    return _trace.get()


def continue_or_start(traceparent: str | None, tracestate: str | None = None) -> TraceContext:
    """The context of a unit of work given the caller's headers: a child of a valid incoming
    ``traceparent``, else a new trace (not sampled: nothing records it)."""
    incoming = parse_traceparent(traceparent, tracestate)
    if incoming is not None:
        return incoming.child()
    return TraceContext(_new_trace_id(), _new_span_id())


@contextlib.contextmanager
def bind_trace(context: TraceContext | None) -> Iterator[TraceContext | None]:
    """Make ``context`` current inside the block and restore the previous one afterwards."""
    token = _trace.set(context)
    try:
        yield context
    finally:
        _trace.reset(token)


def set_trace(context: TraceContext | None) -> object:
    """Set the current context and return a token for :func:`reset_trace`."""
    return _trace.set(context)


def reset_trace(token: object) -> None:
    _trace.reset(token)  # type: ignore[arg-type]


def inject(headers: MutableMapping[str, Any]) -> None:
    """Add ``traceparent`` (and ``tracestate``) for work started from the current context.

    The receiver continues the trace as a child of a new span id. Does nothing when there is
    no current trace, when the headers already carry one, or when OpenTelemetry's
    instrumentation propagates instead.
    """
    if _otel["provider"] is not None or headers.get(TRACEPARENT):
        return
    context = _trace.get()
    if context is None:
        return
    child = context.child()
    headers[TRACEPARENT] = child.header()
    if child.tracestate:
        headers[TRACESTATE] = child.tracestate


def header_of(headers: Mapping[str, Any] | None, name: str) -> str | None:
    value = (headers or {}).get(name)
    return value if isinstance(value, str) else None


# -- OpenTelemetry ---------------------------------------------------------------------------

_otel: dict[str, Any] = {"provider": None}


def otel_enabled() -> bool:
    """True when this process exports spans (``OTLP_ENDPOINT`` set and the SDK configured)."""
    return _otel["provider"] is not None


def _traces_url(endpoint: str) -> str:
    endpoint = endpoint.rstrip("/")
    return endpoint if endpoint.endswith("/v1/traces") else f"{endpoint}/v1/traces"


def configure() -> bool:
    """Set up OpenTelemetry from ``FORGE["OBSERVABILITY"]`` (called from the app's ``ready()``).

    Returns True when tracing is on. Idempotent; a missing ``otel`` extra with an endpoint set
    is reported by the check ``forge_observability.W010`` and leaves tracing off.
    """
    from forge_suite.observability.conf import app_settings

    endpoint = app_settings.OTLP_ENDPOINT
    if not endpoint or _otel["provider"] is not None:
        return _otel["provider"] is not None
    try:
        from opentelemetry import trace
        from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
        from opentelemetry.sdk.resources import Resource
        from opentelemetry.sdk.trace import TracerProvider
        from opentelemetry.sdk.trace.export import BatchSpanProcessor
        from opentelemetry.sdk.trace.sampling import ParentBased, TraceIdRatioBased
    except ImportError:
        return False
    provider = TracerProvider(
        resource=Resource.create({"service.name": str(app_settings.OTEL_SERVICE_NAME)}),
        sampler=ParentBased(TraceIdRatioBased(float(app_settings.OTEL_SAMPLE_RATIO))),
    )
    exporter = OTLPSpanExporter(
        endpoint=_traces_url(str(endpoint)),
        headers=dict(app_settings.OTLP_HEADERS or {}),
        timeout=float(app_settings.OTLP_TIMEOUT),
    )
    provider.add_span_processor(BatchSpanProcessor(exporter))
    trace.set_tracer_provider(provider)
    _otel["provider"] = provider
    _instrument()
    return True


def _instrument() -> None:
    with contextlib.suppress(ImportError):
        from opentelemetry.instrumentation.django import DjangoInstrumentor

        if not DjangoInstrumentor().is_instrumented_by_opentelemetry:
            DjangoInstrumentor().instrument()
    with contextlib.suppress(ImportError):
        from celery import signals
        from opentelemetry.instrumentation import celery as otel_celery

        instrumentor: Any = otel_celery.CeleryInstrumentor  # the package ships no annotations
        if not instrumentor().is_instrumented_by_opentelemetry:
            instrumentor().instrument()
        # Prefork children leave with os._exit (no atexit): export what they hold first.
        signals.worker_process_shutdown.connect(
            _flush, weak=False, dispatch_uid="forge_observability.otel_flush_child"
        )
        signals.worker_shutdown.connect(
            _flush, weak=False, dispatch_uid="forge_observability.otel_flush"
        )


@contextlib.contextmanager
def websocket_span(scope: Mapping[str, Any], headers: Mapping[str, str]) -> Iterator[None]:
    """With OpenTelemetry on, a server span for a WebSocket connection's life, continuing the
    handshake's ``traceparent``: the broadcasts and events handled on it are its children."""
    if _otel["provider"] is None:
        yield
        return
    from opentelemetry import propagate, trace

    path = str(scope.get("path") or "/")
    tracer = trace.get_tracer("forge_suite.observability")
    with tracer.start_as_current_span(
        f"WEBSOCKET {path}",
        context=propagate.extract(dict(headers)),
        kind=trace.SpanKind.SERVER,
        attributes={"url.path": path, "network.protocol.name": "websocket"},
    ):
        yield


def _flush(**kwargs: Any) -> None:
    provider = _otel["provider"]
    if provider is not None:
        provider.force_flush()


def flush() -> None:
    """Export the spans this process holds now (tests, before a short-lived process exits)."""
    _flush()
