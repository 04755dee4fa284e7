"""Test helpers for projects that use scheduling (like Laravel's ``Queue::fake()``).

Record jobs instead of running them, then assert on what was dispatched::

    from forge_suite.scheduling.testing import fake_jobs

    def test_signup_sends_the_welcome_mail(client):
        with fake_jobs() as jobs:
            client.post("/signup/", {...})
        jobs.assert_dispatched(send_welcome, count=1, args=("ada@example.com",))
        jobs.assert_not_dispatched(send_invoice)
        jobs.run_all()  # run what was recorded, in this process

Or run every job in-process while a block runs, whatever the settings say::

    with run_jobs_eagerly():
        place_order(cart)  # its jobs ran (and wrote their history) when this returns

Both work as context managers and as decorators of test functions or classes.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from unittest import mock

from celery import Task
from celery.result import AsyncResult, EagerResult
from django.test.utils import TestContextDecorator

from forge_suite.celery import app as celery_app

__all__ = ["Dispatch", "JobsFake", "fake_jobs", "run_jobs_eagerly"]


@dataclass
class Dispatch:
    """One recorded dispatch: the task name, its arguments and the delivery options."""

    name: str
    args: tuple[Any, ...]
    kwargs: dict[str, Any]
    queue: str | None = None
    priority: int | None = None
    eta: dt.datetime | None = None
    countdown: float | None = None
    headers: dict[str, Any] = field(default_factory=dict)
    id: str = field(default_factory=lambda: str(uuid.uuid4()))


def _name(job: Any) -> str:
    """The task name of a ``@job``, a Celery task or a name."""
    return job if isinstance(job, str) else str(job.name)


class JobsFake(TestContextDecorator):
    """Records every job dispatch (``Job.dispatch``, ``apply_async``, ``send_task``)."""

    def __init__(self) -> None:
        super().__init__()
        self.dispatches: list[Dispatch] = []
        self._patches: list[Any] = []

    # -- recording ----------------------------------------------------------------------
    def _record(
        self, name: str, args: Any, kwargs: Any, options: dict[str, Any]
    ) -> AsyncResult[Any]:
        dispatch = Dispatch(
            name=name,
            args=tuple(args or ()),
            kwargs=dict(kwargs or {}),
            queue=options.get("queue"),
            priority=options.get("priority"),
            eta=options.get("eta"),
            countdown=options.get("countdown"),
            headers=dict(options.get("headers") or {}),
            id=str(options.get("task_id") or uuid.uuid4()),
        )
        self.dispatches.append(dispatch)
        return EagerResult(dispatch.id, None, "PENDING")

    def enable(self) -> JobsFake:
        fake = self

        def apply_async(
            task: Task[Any, Any], args: Any = None, kwargs: Any = None, *_: Any, **options: Any
        ) -> AsyncResult[Any]:
            return fake._record(task.name, args, kwargs, options)

        def send_task(
            name: str, args: Any = None, kwargs: Any = None, **options: Any
        ) -> AsyncResult[Any]:
            return fake._record(name, args, kwargs, options)

        self._patches = [
            mock.patch.object(Task, "apply_async", apply_async),
            mock.patch.object(celery_app, "send_task", send_task),
        ]
        for patch in self._patches:
            patch.start()
        return self

    def disable(self) -> None:
        for patch in reversed(self._patches):
            patch.stop()
        self._patches = []

    # -- reading ------------------------------------------------------------------------
    def dispatched(
        self, job: Any = None, where: Callable[[Dispatch], bool] | None = None
    ) -> list[Dispatch]:
        """Recorded dispatches of ``job`` (all when None) that satisfy ``where``."""
        name = None if job is None else _name(job)
        return [
            d
            for d in self.dispatches
            if (name is None or d.name == name) and (where is None or where(d))
        ]

    # -- assertions ---------------------------------------------------------------------
    def assert_dispatched(
        self,
        job: Any,
        *,
        count: int | None = None,
        args: tuple[Any, ...] | None = None,
        kwargs: dict[str, Any] | None = None,
        queue: str | None = None,
        where: Callable[[Dispatch], bool] | None = None,
    ) -> list[Dispatch]:
        """Fail unless ``job`` was dispatched (``count`` times, with these arguments/queue)."""

        def matches(d: Dispatch) -> bool:
            return (
                (args is None or d.args == tuple(args))
                and (kwargs is None or d.kwargs == kwargs)
                and (queue is None or d.queue == queue)
                and (where is None or where(d))
            )

        found = self.dispatched(job, matches)
        if (count is None and not found) or (count is not None and len(found) != count):
            wanted = "at least once" if count is None else f"{count} time(s)"
            seen = "\n  ".join(
                f"{d.name}{d.args!r} {d.kwargs!r} queue={d.queue}" for d in self.dispatches
            )
            raise AssertionError(
                f"expected {_name(job)} dispatched {wanted} matching the filters, found "
                f"{len(found)}. Dispatched:\n  {seen or '(nothing)'}"
            )
        return found

    def assert_not_dispatched(self, job: Any) -> None:
        """Fail if ``job`` was dispatched."""
        found = self.dispatched(job)
        if found:
            raise AssertionError(f"{_name(job)} was dispatched {len(found)} time(s)")

    def assert_nothing_dispatched(self) -> None:
        """Fail if any job was dispatched."""
        if self.dispatches:
            names = ", ".join(d.name for d in self.dispatches)
            raise AssertionError(f"expected no dispatch, got: {names}")

    # -- running ------------------------------------------------------------------------
    def run_all(self) -> list[Any]:
        """Run every recorded dispatch in this process, in order; return their results.

        Jobs dispatched while running are recorded and run too. Exceptions propagate.
        """
        results = []
        while self.dispatches:
            dispatch = self.dispatches.pop(0)
            task = celery_app.tasks[dispatch.name]
            result = task.apply(
                args=dispatch.args,
                kwargs=dispatch.kwargs,
                task_id=dispatch.id,
                headers=dispatch.headers,
                throw=True,
            )
            results.append(result.get(propagate=True))
        return results


def fake_jobs() -> JobsFake:
    """Record dispatched jobs instead of sending or running them (see :class:`JobsFake`)."""
    return JobsFake()


class run_jobs_eagerly(TestContextDecorator):
    """Run every dispatched job at once in this process (exceptions propagate by default)."""

    def __init__(self, *, propagate: bool = True) -> None:
        super().__init__()
        self.propagate = propagate
        self._saved: tuple[Any, Any] | None = None

    def enable(self) -> None:
        conf = celery_app.conf
        self._saved = (conf.task_always_eager, conf.task_eager_propagates)
        conf.task_always_eager = True
        conf.task_eager_propagates = self.propagate

    def disable(self) -> None:
        if self._saved is not None:
            conf = celery_app.conf
            conf.task_always_eager, conf.task_eager_propagates = self._saved
            self._saved = None
