"""A thin, typed layer over Celery tasks: ``@job``, ``dispatch()``, ``on_queue()``.

Reliability defaults (see docs/apps/scheduling.md for the trade-offs):

- ``acks_late=True``: the message is acknowledged after the job finished, so a worker that dies
  mid-job leaves it on the broker and another worker runs it again (jobs must be idempotent).
- ``reject_on_worker_lost=True``: a child process killed mid-job requeues the message instead of
  marking it failed.
- retries with exponential backoff and full jitter on any exception, up to ``MAX_RETRIES``.
- ``manage.py worker`` runs with ``--prefetch-multiplier 1`` so a long job never holds others back.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable
from functools import cached_property
from typing import Any, Generic, ParamSpec, TypeVar, overload

from celery import Task
from celery.exceptions import Retry
from celery.result import AsyncResult
from django.utils.module_loading import import_string

from forge_suite.celery import app as celery_app
from forge_suite.scheduling.conf import app_settings
from forge_suite.scheduling.exceptions import InvalidJob
from forge_suite.scheduling.middleware import JobMiddleware

__all__ = ["PRIORITIES", "ForgeTask", "Job", "job"]

P = ParamSpec("P")
R = TypeVar("R")

#: Priority names accepted by ``@job(priority=...)`` and ``Job.with_priority()``.
PRIORITIES = ("high", "default", "low")

# RabbitMQ delivers higher numbers first (queues need x-max-priority); the Redis transport
# delivers lower numbers first. The name is translated for the configured broker.
_AMQP_PRIORITY = {"high": 9, "default": 5, "low": 0}
_REDIS_PRIORITY = {"high": 0, "default": 5, "low": 9}


def priority_value(name: str, broker_url: str | None = None) -> int:
    """The Celery message priority for priority ``name`` on the configured broker."""
    if name not in PRIORITIES:
        raise InvalidJob(f"unknown priority {name!r}: use one of {', '.join(PRIORITIES)}")
    url = broker_url if broker_url is not None else str(celery_app.conf.broker_url or "")
    table = _REDIS_PRIORITY if url.startswith(("redis", "rediss", "sentinel")) else _AMQP_PRIORITY
    return table[name]


def _middleware(paths: Iterable[Any]) -> list[JobMiddleware]:
    instances = []
    for item in paths:
        cls = import_string(item) if isinstance(item, str) else item
        instances.append(cls() if isinstance(cls, type) else cls)
    return instances


class ForgeTask(Task[Any, Any]):
    """Celery task base of every ``@job``: reliability defaults and middleware hooks."""

    acks_late = True
    reject_on_worker_lost = True
    forge_queue = ""
    forge_priority = "default"
    forge_middleware: tuple[Any, ...] = ()

    def apply_async(self, args: Any = None, kwargs: Any = None, *rest: Any, **options: Any) -> Any:
        # The declared queue is applied here (Celery deprecates the ``queue`` task attribute);
        # an explicit queue (on_queue(), a retry keeping its original queue) wins.
        if self.forge_queue and not options.get("queue"):
            options["queue"] = self.forge_queue
        return super().apply_async(args, kwargs, *rest, **options)

    @cached_property
    def _forge_middleware(self) -> list[JobMiddleware]:
        return _middleware([*app_settings.MIDDLEWARE, *self.forge_middleware])

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        hooks = self._forge_middleware
        for hook in hooks:
            hook.before(self, args, kwargs)
        # Eager mode cannot wait for a retry: the job fails at once (and lands in FailedJob).
        eager = bool(getattr(self.request, "is_eager", False))
        body = getattr(self, "_orig_run", self.run) if eager else self.run
        try:
            result = body(*args, **kwargs)
        except Retry as retry:
            exc = retry.exc if isinstance(retry.exc, BaseException) else retry
            for hook in hooks:
                hook.failure(self, args, kwargs, exc, True)
            raise
        except BaseException as exc:
            for hook in hooks:
                hook.failure(self, args, kwargs, exc, False)
            if eager and self.app.conf.task_eager_propagates:
                # Celery sends no task_failure when an eager task propagates its exception.
                from forge_suite.scheduling.history import record_eager_failure

                record_eager_failure(self, args, kwargs, exc)
            raise
        for hook in hooks:
            hook.after(self, args, kwargs, result)
        return result


class Job(Generic[P, R]):
    """A declared job: call it to run inline, ``dispatch()`` it to run on a worker."""

    def __init__(
        self,
        task: Any,
        *,
        queue: str | None = None,
        priority: str | None = None,
    ) -> None:
        self.task: Task[P, R] = task
        self._queue = queue
        self._priority = priority

    @property
    def name(self) -> str:
        return str(self.task.name)

    @property
    def queue(self) -> str:
        declared = getattr(self.task, "forge_queue", "") or getattr(self.task, "queue", None)
        return self._queue or str(declared or app_settings.DEFAULT_QUEUE)

    @property
    def priority(self) -> str:
        return self._priority or str(getattr(self.task, "forge_priority", "default"))

    def __call__(self, *args: P.args, **kwargs: P.kwargs) -> R:
        """Run the job body in this process (no broker, no retries, no history)."""
        return self.task.run(*args, **kwargs)

    def __repr__(self) -> str:
        return f"<Job {self.name} queue={self.queue} priority={self.priority}>"

    def on_queue(self, queue: str) -> Job[P, R]:
        """This job, dispatched to ``queue`` instead of its declared one."""
        if not queue:
            raise InvalidJob("on_queue() needs a non-empty queue name")
        return Job(self.task, queue=queue, priority=self._priority)

    def with_priority(self, priority: str) -> Job[P, R]:
        """This job, dispatched with ``priority`` (high, default or low)."""
        priority_value(priority)
        return Job(self.task, queue=self._queue, priority=priority)

    def dispatch_options(
        self, *, delay: float | dt.timedelta | None = None, eta: dt.datetime | None = None
    ) -> dict[str, Any]:
        """The ``apply_async`` options a dispatch would use (queue, priority, countdown/eta)."""
        if delay is not None and eta is not None:
            raise InvalidJob("dispatch() takes delay= or eta=, not both")
        options: dict[str, Any] = {
            "queue": self.queue,
            "priority": priority_value(self.priority),
        }
        if delay is not None:
            seconds = delay.total_seconds() if isinstance(delay, dt.timedelta) else float(delay)
            if seconds < 0:
                raise InvalidJob(f"dispatch(delay={delay!r}): the delay cannot be negative")
            options["countdown"] = seconds
        if eta is not None:
            if eta.tzinfo is None:
                raise InvalidJob(f"dispatch(eta={eta!r}): eta must be timezone-aware")
            options["eta"] = eta
        return options

    def dispatch(
        self,
        *args: P.args,
        **kwargs: P.kwargs,
    ) -> AsyncResult[Any]:
        """Send the job to its queue. ``delay=`` (seconds/timedelta) or ``eta=`` postpone it.

        ``delay`` and ``eta`` are reserved keyword names; a job taking arguments with those
        names is dispatched with :meth:`dispatch_with`.
        """
        delay = kwargs.pop("delay", None)
        eta = kwargs.pop("eta", None)
        return self.dispatch_with(args, kwargs, delay=delay, eta=eta)  # type: ignore[arg-type]

    def dispatch_with(
        self,
        args: Iterable[Any] = (),
        kwargs: dict[str, Any] | None = None,
        *,
        delay: float | dt.timedelta | None = None,
        eta: dt.datetime | None = None,
        headers: dict[str, Any] | None = None,
    ) -> AsyncResult[Any]:
        """Send the job with explicit ``args``/``kwargs`` and options."""
        options = self.dispatch_options(delay=delay, eta=eta)
        if headers:
            options["headers"] = headers
        return self.task.apply_async(args=tuple(args), kwargs=kwargs or {}, **options)

    def __getattr__(self, name: str) -> Any:
        # delay(), apply_async(), s(), si(), ... keep working for Celery users.
        if name.startswith("_"):
            raise AttributeError(name)
        return getattr(self.task, name)


@overload
def job(fn: Callable[P, R], /) -> Job[P, R]: ...


@overload
def job(
    fn: None = None,
    /,
    *,
    name: str | None = None,
    queue: str | None = None,
    priority: str = "default",
    max_retries: int | None = None,
    timeout: float | None = None,
    backoff: int | None = None,
    backoff_max: int | None = None,
    jitter: bool | None = None,
    retry_on: tuple[type[BaseException], ...] = (Exception,),
    middleware: Iterable[Any] = (),
    **celery_options: Any,
) -> Callable[[Callable[P, R]], Job[P, R]]: ...


def job(
    fn: Callable[..., Any] | None = None,
    /,
    *,
    name: str | None = None,
    queue: str | None = None,
    priority: str = "default",
    max_retries: int | None = None,
    timeout: float | None = None,
    backoff: int | None = None,
    backoff_max: int | None = None,
    jitter: bool | None = None,
    retry_on: tuple[type[BaseException], ...] = (Exception,),
    middleware: Iterable[Any] = (),
    **celery_options: Any,
) -> Any:
    """Declare a background job (a Celery task with Forge Suite's defaults).

    ``queue`` defaults to ``DEFAULT_QUEUE``; ``priority`` is high/default/low; a job that raises
    one of ``retry_on`` is retried up to ``max_retries`` times with exponential backoff of base
    ``backoff`` seconds (capped at ``backoff_max``, full jitter), then stored as a FailedJob.
    ``timeout`` (seconds) is a soft time limit, the hard limit follows a little later.
    Other keyword arguments go to ``celery.Celery.task`` unchanged.
    """
    if priority not in PRIORITIES:
        raise InvalidJob(f"@job(priority={priority!r}): use one of {', '.join(PRIORITIES)}")
    if timeout is not None and timeout <= 0:
        raise InvalidJob(f"@job(timeout={timeout!r}): the timeout must be positive")
    if max_retries is not None and max_retries < 0:
        raise InvalidJob(f"@job(max_retries={max_retries!r}): cannot be negative")

    def decorate(func: Callable[..., Any]) -> Job[Any, Any]:
        options: dict[str, Any] = {
            "base": ForgeTask,
            "forge_queue": queue or app_settings.DEFAULT_QUEUE,
            "forge_priority": priority,
            "forge_middleware": tuple(middleware),
            "autoretry_for": tuple(retry_on),
            "max_retries": app_settings.MAX_RETRIES if max_retries is None else max_retries,
            "retry_backoff": app_settings.RETRY_BACKOFF if backoff is None else backoff,
            "retry_backoff_max": (
                app_settings.RETRY_BACKOFF_MAX if backoff_max is None else backoff_max
            ),
            "retry_jitter": app_settings.RETRY_JITTER if jitter is None else jitter,
        }
        if name:
            options["name"] = name
        if timeout is not None:
            options["soft_time_limit"] = timeout
            options["time_limit"] = timeout + max(1.0, timeout * 0.1)
        options.update(celery_options)
        task = celery_app.task(**options)(func)
        return Job(task)

    if fn is not None:
        return decorate(fn)
    return decorate
