"""Celery side of correlation: the request id travels in task headers to the worker.

Connected from the app's ``ready()``: ``before_task_publish`` adds the current request id to
the message headers, ``task_prerun`` makes it current in the worker (so every log line of the
job carries it and Sentry tags the job's errors) and ``task_postrun`` clears it and, with
``TASK_METRICS``, records the job in the suite metrics unless scheduling is installed (its job
history owns the job metrics then, so a job is counted once). Workers of a project whose ``LOGGING``
comes from :func:`~forge_suite.observability.logs.logging_config` keep that configuration
instead of Celery's own log format.
"""

from __future__ import annotations

import contextlib
import logging.config
import time
from typing import Any

from forge_suite.observability import tracing
from forge_suite.observability.context import (
    get_request_id,
    reset_request_id,
    set_request_id,
    valid_request_id,
)

__all__ = ["HEADER", "connect", "scheduling_owns_job_metrics"]

#: Name of the Celery message header carrying the request id.
HEADER = "forge_request_id"

_running: dict[str, tuple[object, object, float]] = {}


def _before_publish(headers: dict[str, Any] | None = None, **kwargs: Any) -> None:
    if headers is None:
        return
    request_id = get_request_id()
    if request_id and not headers.get(HEADER):
        headers[HEADER] = request_id
    tracing.inject(headers)  # W3C traceparent/tracestate (OpenTelemetry's own when it is on)


def _job_trace(request: Any) -> tracing.TraceContext | None:
    """The job's trace context: a child of the publisher's ``traceparent`` header, if any."""
    if tracing.otel_enabled():
        return None  # OpenTelemetry's Celery instrumentation continues the trace
    incoming = tracing.parse_traceparent(
        getattr(request, tracing.TRACEPARENT, None), getattr(request, tracing.TRACESTATE, None)
    )
    return incoming.child() if incoming else None


def _prerun(task_id: str | None = None, task: Any = None, **kwargs: Any) -> None:
    if task_id is None or task is None:
        return
    from_header = getattr(task.request, HEADER, None)
    if not (isinstance(from_header, str) and valid_request_id(from_header)):
        from_header = None  # anyone who can publish could put anything here
    request_id = from_header or get_request_id()
    trace_token = tracing.set_trace(_job_trace(task.request))
    _running[task_id] = (set_request_id(request_id), trace_token, time.perf_counter())
    if request_id:
        from forge_suite.observability.middleware import tag_sentry

        tag_sentry(request_id)


def _postrun(
    task_id: str | None = None, task: Any = None, state: str | None = None, **kwargs: Any
) -> None:
    entry = _running.pop(task_id or "", None)
    if entry is None:
        return
    token, trace_token, started = entry
    # ValueError: set in another context (should not happen); nothing to restore then.
    with contextlib.suppress(ValueError):
        tracing.reset_trace(trace_token)
    with contextlib.suppress(ValueError):
        reset_request_id(token)
    from forge_suite.observability.middleware import tag_sentry

    tag_sentry(None)
    from forge_suite.observability.conf import app_settings

    if app_settings.TASK_METRICS and task is not None and not scheduling_owns_job_metrics():
        from forge_suite.observability import metrics

        delivery = getattr(task.request, "delivery_info", None) or {}
        queue = delivery.get("routing_key") or getattr(task.request, "queue", None) or "eager"
        metrics.record_job(
            str(queue), task.name, (state or "unknown").lower(), time.perf_counter() - started
        )


def scheduling_owns_job_metrics() -> bool:
    """True when scheduling's job history records ``forge_jobs_total`` (its one owner then)."""
    from django.apps import apps

    return apps.is_installed("forge_suite.scheduling")


def _setup_logging(**kwargs: Any) -> None:
    from django.conf import settings

    logging.config.dictConfig(settings.LOGGING)


def connect() -> None:
    """Connect the Celery signal handlers (idempotent)."""
    try:
        from celery import signals
    except ImportError:  # pragma: no cover - celery is a core dependency
        return
    from django.conf import settings

    from forge_suite.observability.logs import uses_forge_logging

    signals.before_task_publish.connect(
        _before_publish, weak=False, dispatch_uid="forge_observability.publish"
    )
    signals.task_prerun.connect(_prerun, weak=False, dispatch_uid="forge_observability.prerun")
    signals.task_postrun.connect(_postrun, weak=False, dispatch_uid="forge_observability.postrun")
    # Having any receiver tells Celery not to configure logging itself, so connect only when
    # the project's LOGGING is ours: other projects keep Celery's usual worker output.
    if uses_forge_logging(getattr(settings, "LOGGING", None)):
        signals.setup_logging.connect(
            _setup_logging, weak=False, dispatch_uid="forge_observability.setup_logging"
        )
