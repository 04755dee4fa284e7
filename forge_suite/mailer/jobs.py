"""The mailer's background jobs, with or without the scheduling app.

With ``forge_suite.scheduling`` installed the jobs are its ``@job`` (history, failed jobs,
middleware, priorities). Without it (a project that does not want django-celery-beat, or a
Django version it does not support yet) they are plain Celery tasks on the suite's app with the
same reliability options: acknowledged late, given back when a worker dies, retried with
exponential backoff and jitter. Either way the mailer calls ``dispatch_with()`` and
``on_queue()``, and calling the job runs its body in-process.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable
from typing import Any

from django.conf import settings

__all__ = ["PlainJob", "job"]


class PlainJob:
    """The subset of ``forge_suite.scheduling.Job`` the mailer uses, over a Celery task."""

    def __init__(self, task: Any, queue: str | None = None) -> None:
        self.task = task
        self.queue = queue

    @property
    def name(self) -> str:
        return str(self.task.name)

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        return self.task.run(*args, **kwargs)

    def on_queue(self, queue: str) -> PlainJob:
        return PlainJob(self.task, queue)

    def dispatch_with(
        self,
        args: Iterable[Any] = (),
        kwargs: dict[str, Any] | None = None,
        *,
        delay: float | dt.timedelta | None = None,
        eta: dt.datetime | None = None,
    ) -> Any:
        options: dict[str, Any] = {}
        if self.queue:
            options["queue"] = self.queue
        if delay is not None:
            options["countdown"] = (
                delay.total_seconds() if isinstance(delay, dt.timedelta) else float(delay)
            )
        if eta is not None:
            options["eta"] = eta
        return self.task.apply_async(args=tuple(args), kwargs=kwargs or {}, **options)


def scheduling_installed() -> bool:
    return "forge_suite.scheduling" in getattr(settings, "INSTALLED_APPS", ())


def job(
    *, name: str, max_retries: int, backoff: int = 1, backoff_max: int = 60
) -> Callable[[Callable[..., Any]], Any]:
    """Declare a mailer job: scheduling's ``@job`` when installed, else a plain Celery task."""

    def decorate(func: Callable[..., Any]) -> Any:
        if scheduling_installed():
            from forge_suite.scheduling import job as scheduling_job

            return scheduling_job(
                name=name, max_retries=max_retries, backoff=backoff, backoff_max=backoff_max
            )(func)
        from forge_suite.core.celery import app

        task = app.task(
            name=name,
            acks_late=True,
            reject_on_worker_lost=True,
            autoretry_for=(Exception,),
            max_retries=max_retries,
            retry_backoff=backoff,
            retry_backoff_max=backoff_max,
            retry_jitter=True,
        )(func)
        return PlainJob(task)

    return decorate
