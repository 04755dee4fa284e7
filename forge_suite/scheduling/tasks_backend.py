"""A backend of Django's Tasks framework that runs tasks through ``manage.py worker``.

Functions decorated with Django's ``@task`` (``django.tasks`` on Django 6, the ``django-tasks``
backport on 5.2) are sent to the Celery broker and run by the project's workers, with the
suite's job history, failed jobs (``jobs_failed``, ``jobs_retry``, the admin) and dashboard::

    TASKS = {
        "default": {
            "BACKEND": "forge_suite.scheduling.tasks_backend.ForgeBackend",
            "OPTIONS": {"MAX_RETRIES": 3},  # optional; FORGE["SCHEDULING"]["MAX_RETRIES"]
        }
    }

Each enqueued task is a message for one Celery task, :data:`RUNNER`, that imports the Django
task by its module path (only objects that *are* Django tasks are run) and calls it. The
history row is named after the Django task. ``priority`` maps to the suite's high/default/low
(positive, zero, negative), ``run_after`` to an ETA, ``queue_name`` to the Celery queue.
``get_result()`` reads the history: status, times, attempts and errors - return values are
not stored (configure a Celery result backend and use Celery's API for those).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.utils import timezone
from django.utils.module_loading import import_string

from forge_suite.celery import app as celery_app
from forge_suite.scheduling.conf import app_settings
from forge_suite.scheduling.exceptions import InvalidJob
from forge_suite.scheduling.history import DJANGO_TASK_RUNNER as RUNNER

if TYPE_CHECKING:  # type-checked against the backport (the same API as django.tasks)
    from django_tasks import TaskContext, TaskResult, TaskResultStatus
    from django_tasks.backends.base import BaseTaskBackend
    from django_tasks.base import Task, TaskError
    from django_tasks.exceptions import TaskResultDoesNotExist
    from django_tasks.signals import task_enqueued
else:
    try:  # Django 6.0+
        from django.tasks import TaskContext, TaskResult, TaskResultStatus
        from django.tasks.backends.base import BaseTaskBackend
        from django.tasks.base import Task, TaskError
        from django.tasks.exceptions import TaskResultDoesNotExist
        from django.tasks.signals import task_enqueued
    except ImportError:  # Django 5.2 with the django-tasks backport
        try:
            from django_tasks import TaskContext, TaskResult, TaskResultStatus
            from django_tasks.backends.base import BaseTaskBackend
            from django_tasks.base import Task, TaskError
            from django_tasks.exceptions import TaskResultDoesNotExist
            from django_tasks.signals import task_enqueued
        except ImportError as exc:  # pragma: no cover - depends on the environment
            raise ImportError(
                "Django's Tasks framework is not available: use Django 6 or install the "
                'backport (pip install "forge-suite[scheduling]")'
            ) from exc

__all__ = ["RUNNER", "ForgeBackend", "execute"]


def _priority_name(priority: int) -> str:
    return "high" if priority > 0 else "low" if priority < 0 else "default"


class ForgeBackend(BaseTaskBackend):
    """Django Tasks backend: Celery transport, Forge Suite history and failed jobs."""

    supports_defer = True
    supports_async_task = False
    supports_get_result = True
    supports_priority = True

    def __init__(self, alias: str, params: dict[str, Any]) -> None:
        super().__init__(alias, params)
        # Any queue name is a Celery queue; restrict only when QUEUES is given.
        self.queues = set(params.get("QUEUES", []))
        retries = self.options.get("MAX_RETRIES", app_settings.MAX_RETRIES)
        if not isinstance(retries, int) or retries < 0:
            raise InvalidJob(f"TASKS[{alias!r}]['OPTIONS']['MAX_RETRIES'] must be an int >= 0")
        self.max_retries = retries

    def enqueue(self, task: Task, args: Any, kwargs: Any) -> TaskResult:
        """Send ``task`` to its queue; the result's id is the Celery task id."""
        from forge_suite.scheduling.jobs import priority_value

        self.validate_task(task)
        options: dict[str, Any] = {
            "queue": task.queue_name,
            "priority": priority_value(_priority_name(task.priority)),
        }
        if task.run_after is not None:
            options["eta"] = task.run_after
        message = [task.module_path, list(args), dict(kwargs), self.alias, self.max_retries]
        sent = celery_app.tasks[RUNNER].apply_async(args=tuple(message), **options)
        result: TaskResult[Any] = TaskResult(
            task=task,
            id=str(sent.id),
            status=TaskResultStatus.READY,
            enqueued_at=timezone.now(),
            started_at=None,
            last_attempted_at=None,
            finished_at=None,
            args=list(args),
            kwargs=dict(kwargs),
            backend=self.alias,
            errors=[],
            worker_ids=[],
        )
        task_enqueued.send(type(self), task_result=result)
        if celery_app.conf.task_always_eager:
            return self.get_result(result.id)  # it already ran, in this process
        return result

    def get_result(self, result_id: str) -> TaskResult:
        """The task's status from the job history (READY while no worker has started it)."""
        from forge_suite.scheduling.models import FailedJob, JobRun, JobState

        runs = list(JobRun.objects.filter(task_id=result_id).order_by("attempt"))
        if not runs:
            raise TaskResultDoesNotExist(result_id)
        last = runs[-1]
        statuses: dict[str, TaskResultStatus] = {
            JobState.SUCCESS: TaskResultStatus.SUCCESSFUL,
            JobState.FAILURE: TaskResultStatus.FAILED,
            JobState.STARTED: TaskResultStatus.RUNNING,
        }
        status = statuses.get(last.state, TaskResultStatus.READY)
        failed = FailedJob.objects.filter(task_id=result_id).first()
        args = failed.args[1] if failed and len(failed.args) > 1 else []
        kwargs = failed.args[2] if failed and len(failed.args) > 2 else {}
        errors = [
            TaskError(exception_class_path=_exception_path(run.exception), traceback=run.traceback)
            for run in runs
            if run.exception
        ]
        return TaskResult(
            task=import_string(last.task_name),
            id=result_id,
            status=status,
            enqueued_at=runs[0].enqueued_at,
            started_at=runs[0].started_at,
            last_attempted_at=last.started_at,
            finished_at=last.finished_at if status != TaskResultStatus.RUNNING else None,
            args=args,
            kwargs=kwargs,
            backend=self.alias,
            errors=errors,
            worker_ids=[run.worker for run in runs],
        )


def _exception_path(text: str) -> str:
    name = text.split(":", 1)[0].strip()
    return name if "." in name else f"builtins.{name}"


def execute(request: Any, path: str, args: list[Any], kwargs: dict[str, Any], backend: str) -> Any:
    """Run the Django task at ``path`` (called by the :data:`RUNNER` Celery task)."""
    task = import_string(path)
    if not isinstance(task, Task):
        # A message may only name a Django task, never an arbitrary function.
        raise TypeError(f"{path} is not a Django task (decorated with @task)")
    if not task.takes_context:
        return task.call(*args, **kwargs)
    attempt = (request.retries or 0) + 1
    result: TaskResult[Any] = TaskResult(
        task=task,
        id=str(request.id),
        status=TaskResultStatus.RUNNING,
        enqueued_at=None,
        started_at=timezone.now(),
        last_attempted_at=timezone.now(),
        finished_at=None,
        args=args,
        kwargs=kwargs,
        backend=backend,
        errors=[],
        worker_ids=[str(request.hostname or "")] * attempt,
    )
    return task.call(TaskContext(task_result=result), *args, **kwargs)
