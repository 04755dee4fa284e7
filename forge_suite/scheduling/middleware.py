"""Job middleware: hooks run around every attempt of a job declared with ``@job``.

A middleware is a class with any of ``before``, ``after`` and ``failure``; list them in
``FORGE["SCHEDULING"]["MIDDLEWARE"]`` (all jobs) or ``@job(middleware=[...])`` (one job).
"""

from __future__ import annotations

import logging
import time
from typing import Any

logger = logging.getLogger("forge_suite.scheduling.jobs")


class JobMiddleware:
    """Base class with no-op hooks; override the ones you need."""

    def before(self, task: Any, args: tuple[Any, ...], kwargs: dict[str, Any]) -> None:
        """Called before the job body runs."""

    def after(self, task: Any, args: tuple[Any, ...], kwargs: dict[str, Any], result: Any) -> None:
        """Called after the job body returned ``result``."""

    def failure(
        self,
        task: Any,
        args: tuple[Any, ...],
        kwargs: dict[str, Any],
        exc: BaseException,
        will_retry: bool,
    ) -> None:
        """Called when the job body raised; ``will_retry`` says whether Celery retries it."""


class LoggingMiddleware(JobMiddleware):
    """Log start, success (with runtime) and failure of every attempt."""

    def before(self, task: Any, args: tuple[Any, ...], kwargs: dict[str, Any]) -> None:
        task.request._forge_started = time.monotonic()
        logger.info(
            "job %s[%s] started (attempt %s)",
            task.name,
            task.request.id,
            (task.request.retries or 0) + 1,
        )

    def after(self, task: Any, args: tuple[Any, ...], kwargs: dict[str, Any], result: Any) -> None:
        started = getattr(task.request, "_forge_started", None)
        took = time.monotonic() - started if started else 0.0
        logger.info("job %s[%s] succeeded in %.3fs", task.name, task.request.id, took)

    def failure(
        self,
        task: Any,
        args: tuple[Any, ...],
        kwargs: dict[str, Any],
        exc: BaseException,
        will_retry: bool,
    ) -> None:
        logger.warning(
            "job %s[%s] failed: %r (%s)",
            task.name,
            task.request.id,
            exc,
            "will retry" if will_retry else "giving up",
        )
