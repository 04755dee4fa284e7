"""The one metrics module every Forge Suite app records through.

Other apps record through ``forge_suite.core.metrics.metrics()``, which the app's ``ready()``
points at :data:`prometheus_metrics`; each call is cheap and never raises. Metrics are
Prometheus collectors from ``prometheus_client`` and are exported by the observability app's
``/metrics`` endpoint; without ``prometheus_client`` every function is a no-op.

Multi-process servers (gunicorn workers, several Celery worker processes) use
prometheus_client's multiprocess mode: set ``PROMETHEUS_MULTIPROC_DIR`` to an empty, writable
directory in the environment of every process *before* they start; each process then writes
its samples there and ``/metrics`` sums them. Call :func:`mark_process_dead` from the server's
child-exit hook so live gauges drop the samples of dead workers.
"""

from __future__ import annotations

import logging
import os
from typing import Any

logger = logging.getLogger(__name__)

try:
    from prometheus_client import Counter, Gauge, Histogram
except ImportError:  # pragma: no cover - the observability extra is not installed
    Counter = Gauge = Histogram = None  # type: ignore[assignment,misc]

_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300)


def _make(kind: Any, name: str, doc: str, labels: list[str], **kwargs: Any) -> Any:
    if kind is None:
        return None
    return kind(name, doc, labels, **kwargs)


JOBS = _make(
    Counter,
    "forge_jobs_total",
    "Jobs finished, by queue, task and state.",
    ["queue", "task", "state"],
)
JOB_RUNTIME = _make(
    Histogram,
    "forge_job_runtime_seconds",
    "Job runtime in seconds.",
    ["queue", "task"],
    buckets=_BUCKETS,
)
MAILS = _make(Counter, "forge_mails_total", "Mails by provider and status.", ["provider", "status"])
EVENTS_APPENDED = _make(
    Counter,
    "forge_events_appended_total",
    "Domain events appended to the event store.",
    ["event_type"],
)
WS_CONNECTIONS = _make(
    Gauge,
    "forge_ws_connections",
    "Open WebSocket connections.",
    ["app"],
    multiprocess_mode="livesum",
)
WS_MESSAGES = _make(
    Counter, "forge_ws_messages_total", "WebSocket messages by direction.", ["app", "direction"]
)
WS_SUBSCRIPTIONS = _make(
    Counter,
    "forge_ws_subscriptions_total",
    "Channel subscriptions by channel type.",
    ["app", "channel_type"],
)
THROTTLE_DECISIONS = _make(
    Counter,
    "forge_throttle_decisions_total",
    "Rate-limit decisions by policy and outcome.",
    ["policy", "outcome"],
)


#: Mail waits from minutes to hours when a provider throttles; jobs rarely do.
_MAIL_BUCKETS = (0.1, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600, 1800, 3600, 7200)
MAIL_QUEUE_LATENCY = _make(
    Histogram,
    "forge_mail_queue_latency_seconds",
    "Seconds from a mail being due (queued or scheduled) to being sent, by mailer.",
    ["mailer"],
    buckets=_MAIL_BUCKETS,
)
DELIVERY_FAILURES = _make(
    Counter,
    "forge_eventstore_delivery_failures_total",
    "Failed event-store outbox deliveries, by kind (listener, webhook) and outcome.",
    ["kind", "outcome"],
)
WEBHOOK_FAILURES = _make(
    Counter,
    "forge_eventstore_webhook_failures_total",
    "Failed webhook POSTs, by endpoint and reason (HTTP status or network).",
    ["endpoint", "reason"],
)
PROJECTION_LAG = _make(
    Gauge,
    "forge_eventstore_projection_lag",
    "Global positions between the event-store head and a projection's checkpoint.",
    ["projection"],
    multiprocess_mode="mostrecent",
)
FILES_STORED = _make(
    Counter,
    "forge_files_stored_total",
    "Uploads stored, by disk and content type.",
    ["disk", "content_type"],
)
FILES_STORED_BYTES = _make(
    Counter, "forge_files_stored_bytes_total", "Bytes of stored uploads, by disk.", ["disk"]
)
FILES_REJECTED = _make(
    Counter, "forge_files_rejected_total", "Uploads refused, by reason.", ["reason"]
)
FILES_VARIANT_SECONDS = _make(
    Histogram,
    "forge_files_variant_seconds",
    "Seconds spent generating one file variant, by variant name.",
    ["variant"],
    buckets=_BUCKETS,
)


def _safe(fn: Any, *args: Any, **kwargs: Any) -> None:
    if fn is None:
        return
    try:
        fn(*args, **kwargs)
    except Exception:  # metrics must never break the caller
        logger.debug("metric update failed", exc_info=True)


def record_job(queue: str, task: str, state: str, runtime: float | None = None) -> None:
    """A job finished in ``state`` (``success``, ``failure``, ``retry``) after ``runtime`` s."""
    if JOBS is not None:
        _safe(JOBS.labels(queue=queue, task=task, state=state).inc)
    if JOB_RUNTIME is not None and runtime is not None:
        _safe(JOB_RUNTIME.labels(queue=queue, task=task).observe, runtime)


def record_mail(provider: str, status: str) -> None:
    """A mail reached ``status`` (``sent``, ``failed``, ``delivered``, ``bounced``...)."""
    if MAILS is not None:
        _safe(MAILS.labels(provider=provider, status=status).inc)


def record_event_appended(event_type: str) -> None:
    if EVENTS_APPENDED is not None:
        _safe(EVENTS_APPENDED.labels(event_type=event_type).inc)


def ws_connection_opened(app: str) -> None:
    if WS_CONNECTIONS is not None:
        _safe(WS_CONNECTIONS.labels(app=app).inc)


def ws_connection_closed(app: str) -> None:
    if WS_CONNECTIONS is not None:
        _safe(WS_CONNECTIONS.labels(app=app).dec)


def record_ws_message(app: str, direction: str) -> None:
    """``direction`` is ``in`` (client to server) or ``out``."""
    if WS_MESSAGES is not None:
        _safe(WS_MESSAGES.labels(app=app, direction=direction).inc)


def record_subscription(app: str, channel_type: str) -> None:
    """``channel_type`` is ``public``, ``private``, ``presence`` or ``encrypted``."""
    if WS_SUBSCRIPTIONS is not None:
        _safe(WS_SUBSCRIPTIONS.labels(app=app, channel_type=channel_type).inc)


def record_throttle_decision(policy: str, allowed: bool) -> None:
    if THROTTLE_DECISIONS is not None:
        outcome = "allowed" if allowed else "limited"
        _safe(THROTTLE_DECISIONS.labels(policy=policy, outcome=outcome).inc)


def record_mail_queue_latency(mailer: str, seconds: float) -> None:
    """A queued mail was sent ``seconds`` after it became due."""
    if MAIL_QUEUE_LATENCY is not None:
        _safe(MAIL_QUEUE_LATENCY.labels(mailer=mailer).observe, max(0.0, seconds))


def record_delivery_failure(kind: str, outcome: str) -> None:
    """An outbox delivery of ``kind`` failed and was ``retried`` or went ``dead``."""
    if DELIVERY_FAILURES is not None:
        _safe(DELIVERY_FAILURES.labels(kind=kind, outcome=outcome).inc)


def record_webhook_failure(endpoint: str, reason: str) -> None:
    """A webhook POST to ``endpoint`` failed with HTTP status ``reason`` (or ``network``)."""
    if WEBHOOK_FAILURES is not None:
        _safe(WEBHOOK_FAILURES.labels(endpoint=endpoint, reason=reason).inc)


def record_projection_lag(projection: str, events: int) -> None:
    """Set how far ``projection`` stands behind the head, in global positions."""
    if PROJECTION_LAG is not None:
        _safe(PROJECTION_LAG.labels(projection=projection).set, max(0, events))


def record_file_stored(disk: str, content_type: str, size: int) -> None:
    """An upload of ``size`` bytes was stored on ``disk``."""
    if FILES_STORED is not None:
        _safe(FILES_STORED.labels(disk=disk, content_type=content_type).inc)
    if FILES_STORED_BYTES is not None:
        _safe(FILES_STORED_BYTES.labels(disk=disk).inc, size)


def record_file_rejected(reason: str) -> None:
    """An upload was refused for ``reason``."""
    if FILES_REJECTED is not None:
        _safe(FILES_REJECTED.labels(reason=reason).inc)


def record_variant(variant: str, seconds: float) -> None:
    """Generating variant ``variant`` took ``seconds``."""
    if FILES_VARIANT_SECONDS is not None:
        _safe(FILES_VARIANT_SECONDS.labels(variant=variant).observe, seconds)


class PrometheusMetrics:
    """The :class:`~forge_suite.core.metrics.SuiteMetrics` the observability app installs."""

    record_job = staticmethod(record_job)
    record_mail = staticmethod(record_mail)
    record_event_appended = staticmethod(record_event_appended)
    ws_connection_opened = staticmethod(ws_connection_opened)
    ws_connection_closed = staticmethod(ws_connection_closed)
    record_ws_message = staticmethod(record_ws_message)
    record_subscription = staticmethod(record_subscription)
    record_throttle_decision = staticmethod(record_throttle_decision)
    record_mail_queue_latency = staticmethod(record_mail_queue_latency)
    record_delivery_failure = staticmethod(record_delivery_failure)
    record_webhook_failure = staticmethod(record_webhook_failure)
    record_projection_lag = staticmethod(record_projection_lag)
    record_file_stored = staticmethod(record_file_stored)
    record_file_rejected = staticmethod(record_file_rejected)
    record_variant = staticmethod(record_variant)


#: The instance installed by ``ObservabilityConfig.ready()``.
prometheus_metrics = PrometheusMetrics()


def multiprocess_dir() -> str | None:
    """The multiprocess directory in use, or None in single-process mode."""
    return os.environ.get("PROMETHEUS_MULTIPROC_DIR") or None


def mark_process_dead(pid: int) -> None:
    """Tell prometheus_client a worker exited (gunicorn ``child_exit`` hook)."""
    if multiprocess_dir():
        from prometheus_client import multiprocess

        multiprocess.mark_process_dead(pid)
