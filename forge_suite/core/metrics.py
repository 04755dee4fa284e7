"""The metrics interface every app records through, pointing down: core never imports an app.

Apps call ``metrics().record_job(...)`` unconditionally; until an implementation is installed
(the observability app does it from its ``ready()``) the calls go to :class:`NullMetrics` and
cost nothing. mypy checks every call against :class:`SuiteMetrics`.

Each metric has exactly one owner, so nothing is counted twice:

============================  ==========================================================
``record_job``                scheduling's job history when scheduling is installed,
                              else observability's ``TASK_METRICS`` Celery signals
``record_mail``,              mailer
``record_mail_queue_latency``
``record_event_appended``,    eventstore
``record_delivery_failure``,
``record_webhook_failure``,
``record_projection_lag``
``record_file_*``,            files
``record_variant``
``ws_*``, ``record_ws_*``,    realtime
``record_subscription``
``record_throttle_decision``  throttling
============================  ==========================================================
"""

from __future__ import annotations

import warnings
from typing import Protocol, runtime_checkable

__all__ = ["NullMetrics", "SuiteMetrics", "install_metrics", "metrics", "suite_metrics"]


@runtime_checkable
class SuiteMetrics(Protocol):
    """What the apps record. Implementations must be cheap and must never raise."""

    def record_job(self, queue: str, task: str, state: str, runtime: float | None = None) -> None:
        """A job finished in ``state`` (``success``, ``failure``, ``retry``) after ``runtime`` s."""

    def record_mail(self, provider: str, status: str) -> None:
        """A mail reached ``status`` (``sent``, ``failed``, ``delivered``, ``bounced``...)."""

    def record_event_appended(self, event_type: str) -> None:
        """A domain event of ``event_type`` was appended to the event store."""

    def ws_connection_opened(self, app: str) -> None:
        """A WebSocket connection of realtime app ``app`` opened."""

    def ws_connection_closed(self, app: str) -> None:
        """A WebSocket connection of realtime app ``app`` closed."""

    def record_ws_message(self, app: str, direction: str) -> None:
        """A WebSocket message went ``in`` (client to server) or ``out``."""

    def record_subscription(self, app: str, channel_type: str) -> None:
        """A channel subscription (``public``, ``private``, ``presence``, ``encrypted``)."""

    def record_throttle_decision(self, policy: str, allowed: bool) -> None:
        """A rate-limit decision of ``policy``: allowed or limited."""

    def record_mail_queue_latency(self, mailer: str, seconds: float) -> None:
        """A queued mail was sent ``seconds`` after it became due (queued or scheduled time)."""

    def record_delivery_failure(self, kind: str, outcome: str) -> None:
        """An outbox delivery of ``kind`` (listener, webhook) failed and was retried or is dead."""

    def record_webhook_failure(self, endpoint: str, reason: str) -> None:
        """A webhook POST to ``endpoint`` failed: ``reason`` is the HTTP status or ``network``."""

    def record_projection_lag(self, projection: str, events: int) -> None:
        """Projection ``projection`` stands ``events`` global positions behind the head."""

    def record_file_stored(self, disk: str, content_type: str, size: int) -> None:
        """An upload of ``size`` bytes and ``content_type`` was stored on ``disk``."""

    def record_file_rejected(self, reason: str) -> None:
        """An upload was refused for ``reason`` (an ``InvalidUpload.reason``)."""

    def record_variant(self, variant: str, seconds: float) -> None:
        """Generating one file variant called ``variant`` took ``seconds``."""


class NullMetrics:
    """The default: records nothing (no metrics backend installed)."""

    def record_job(self, queue: str, task: str, state: str, runtime: float | None = None) -> None:
        pass

    def record_mail(self, provider: str, status: str) -> None:
        pass

    def record_event_appended(self, event_type: str) -> None:
        pass

    def ws_connection_opened(self, app: str) -> None:
        pass

    def ws_connection_closed(self, app: str) -> None:
        pass

    def record_ws_message(self, app: str, direction: str) -> None:
        pass

    def record_subscription(self, app: str, channel_type: str) -> None:
        pass

    def record_throttle_decision(self, policy: str, allowed: bool) -> None:
        pass

    def record_mail_queue_latency(self, mailer: str, seconds: float) -> None:
        pass

    def record_delivery_failure(self, kind: str, outcome: str) -> None:
        pass

    def record_webhook_failure(self, endpoint: str, reason: str) -> None:
        pass

    def record_projection_lag(self, projection: str, events: int) -> None:
        pass

    def record_file_stored(self, disk: str, content_type: str, size: int) -> None:
        pass

    def record_file_rejected(self, reason: str) -> None:
        pass

    def record_variant(self, variant: str, seconds: float) -> None:
        pass


_installed: SuiteMetrics = NullMetrics()


def metrics() -> SuiteMetrics:
    """The installed metrics implementation (:class:`NullMetrics` until one is installed)."""
    return _installed


def install_metrics(impl: SuiteMetrics) -> SuiteMetrics:
    """Make ``impl`` the suite's metrics implementation; return the previous one.

    Called from an app's ``ready()`` (observability installs its Prometheus metrics). Installing
    :class:`NullMetrics` turns recording off again.
    """
    global _installed
    if not isinstance(impl, SuiteMetrics):
        raise TypeError(f"{impl!r} does not implement forge_suite.core.metrics.SuiteMetrics")
    previous, _installed = _installed, impl
    return previous


def suite_metrics() -> SuiteMetrics | None:
    """Deprecated: use :func:`metrics`, which is never None.

    Returns the installed implementation, or None while only :class:`NullMetrics` is there, so
    callers written as ``if (m := suite_metrics()): m.record_job(...)`` keep working.
    """
    warnings.warn(
        "forge_suite.core.metrics.suite_metrics() is deprecated; call metrics(), which "
        "returns a no-op implementation instead of None.",
        DeprecationWarning,
        stacklevel=2,
    )
    return None if type(_installed) is NullMetrics else _installed
