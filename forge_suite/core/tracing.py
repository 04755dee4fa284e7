"""Spans for the suite's own units of work, through OpenTelemetry's API when it is installed.

Apps wrap work that deserves a span (a broadcast, a webhook delivery) in :func:`span`; it is a
no-op unless the ``opentelemetry-api`` package is importable, and even then costs next to
nothing until an SDK is configured (the observability app does it when
``FORGE["OBSERVABILITY"]["OTLP_ENDPOINT"]`` is set, see :mod:`forge_suite.observability.tracing`).
Core never imports an app, and no app imports OpenTelemetry itself.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator, Mapping
from typing import Any

__all__ = ["span"]

_TRACER_NAME = "forge_suite"

_otel_trace: Any
try:  # pragma: no cover - the branch depends on what is installed
    from opentelemetry import trace as _otel_trace
except ImportError:  # pragma: no cover
    _otel_trace = None


@contextlib.contextmanager
def span(name: str, attributes: Mapping[str, Any] | None = None) -> Iterator[None]:
    """Run the block inside a span called ``name`` (a child of the current span, if any)."""
    if _otel_trace is None:
        yield
        return
    tracer = _otel_trace.get_tracer(_TRACER_NAME)
    with tracer.start_as_current_span(name, attributes=dict(attributes or {})):
        yield
