"""JobRun history and FailedJob capture, written from Celery's task signals.

Two writes per execution: an INSERT when the task starts (so a run killed mid-way is still in
the history) and one UPDATE when it ends. The publisher only stamps a header (no database
access). Writes never break a task: errors are logged and the task goes on.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import threading
import time
from typing import Any

from celery import signals as celery_signals
from django.db import transaction
from django.utils import timezone

from forge_suite.core.metrics import suite_metrics
from forge_suite.scheduling.conf import app_settings

logger = logging.getLogger("forge_suite.scheduling.history")

ENQUEUED_HEADER = "forge_enqueued_at"
RETRY_OF_HEADER = "forge_retry_of"

# Per-process bookkeeping between prerun and postrun, keyed by task id.
_running: dict[str, tuple[int | None, float, str]] = {}
_errors: dict[str, tuple[str, str]] = {}
_lock = threading.Lock()


def _excluded(name: str) -> bool:
    for pattern in app_settings.HISTORY_EXCLUDE:
        if pattern.endswith("*") and name.startswith(pattern[:-1]):
            return True
        if name == pattern:
            return True
    return False


def _header(request: Any, name: str) -> Any:
    value = getattr(request, name, None)
    if value is None:
        headers = getattr(request, "headers", None) or {}
        value = headers.get(name) if isinstance(headers, dict) else None
    return value


def _summary(args: Any, kwargs: Any) -> str:
    limit = app_settings.ARGS_SUMMARY_LENGTH
    parts = [repr(a) for a in (args or ())]
    parts += [f"{k}={v!r}" for k, v in (kwargs or {}).items()]
    text = ", ".join(parts)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _queue_of(task: Any) -> str:
    info = getattr(task.request, "delivery_info", None) or {}
    declared = getattr(task, "forge_queue", "") or getattr(task, "queue", None)
    return str(info.get("routing_key") or declared or app_settings.DEFAULT_QUEUE)


def _jsonable(value: Any, fallback: Any) -> Any:
    try:
        json.dumps(value)
    except (TypeError, ValueError):
        return fallback
    return value


@celery_signals.before_task_publish.connect(dispatch_uid="forge_scheduling.publish")
def _on_publish(headers: dict[str, Any] | None = None, **kwargs: Any) -> None:
    if headers is not None and ENQUEUED_HEADER not in headers:
        headers[ENQUEUED_HEADER] = time.time()


@celery_signals.task_prerun.connect(dispatch_uid="forge_scheduling.prerun")
def _on_prerun(task_id: str, task: Any, args: Any = None, kwargs: Any = None, **_: Any) -> None:
    if not app_settings.HISTORY or _excluded(task.name):
        with _lock:
            _running[task_id] = (None, time.monotonic(), _queue_of(task))
        return
    try:
        _start_run(task_id, task, args, kwargs)
    except Exception:
        logger.exception("could not record the start of %s[%s]", task.name, task_id)
        with _lock:
            _running[task_id] = (None, time.monotonic(), _queue_of(task))


def _start_run(task_id: str, task: Any, args: Any, kwargs: Any) -> None:
    from forge_suite.scheduling.models import JobRun, JobState

    request = task.request
    now = timezone.now()
    queue = _queue_of(task)
    attempt = (request.retries or 0) + 1
    info = getattr(request, "delivery_info", None) or {}
    if info.get("redelivered"):
        # The broker gave the message back (a worker died holding it): the earlier attempt
        # that never finished is marked lost and this one counts after it.
        previous = (
            JobRun.objects.filter(task_id=task_id).order_by("-attempt").values("attempt").first()
        )
        if previous:
            attempt = previous["attempt"] + 1
        JobRun.objects.filter(task_id=task_id, state=JobState.STARTED).update(
            state=JobState.LOST, finished_at=now
        )
    enqueued = _header(request, ENQUEUED_HEADER)
    enqueued_at = (
        dt.datetime.fromtimestamp(float(enqueued), tz=dt.UTC) if enqueued is not None else None
    )
    wait_from = enqueued_at
    eta = getattr(request, "eta", None)
    if eta:
        eta_at = dt.datetime.fromisoformat(eta) if isinstance(eta, str) else eta
        if eta_at.tzinfo is None:
            eta_at = eta_at.replace(tzinfo=dt.UTC)
        if wait_from is None or eta_at > wait_from:
            wait_from = eta_at
    retry_of = _header(request, RETRY_OF_HEADER)
    run = JobRun.objects.create(
        task_name=task.name,
        task_id=task_id,
        queue=queue,
        args_summary=_summary(args, kwargs),
        state=JobState.STARTED,
        attempt=attempt,
        worker=str(request.hostname or ""),
        enqueued_at=enqueued_at,
        started_at=now,
        wait_time=max(0.0, (now - wait_from).total_seconds()) if wait_from else None,
        eager=bool(request.is_eager),
        retry_of_id=int(retry_of) if retry_of else None,
    )
    with _lock:
        _running[task_id] = (run.pk, time.monotonic(), queue)


@celery_signals.task_retry.connect(dispatch_uid="forge_scheduling.retry")
def _on_retry(request: Any = None, reason: Any = None, einfo: Any = None, **_: Any) -> None:
    if request is not None:
        with _lock:
            _errors[request.id] = (repr(reason), str(einfo.traceback) if einfo else "")


@celery_signals.task_failure.connect(dispatch_uid="forge_scheduling.failure")
def _on_failure(
    sender: Any = None,
    task_id: str = "",
    exception: BaseException | None = None,
    args: Any = None,
    kwargs: Any = None,
    einfo: Any = None,
    **_: Any,
) -> None:
    text = f"{type(exception).__name__}: {exception}" if exception is not None else ""
    tb = str(einfo.traceback) if einfo is not None else ""
    with _lock:
        _errors[task_id] = (text, tb)
        run_pk = (_running.get(task_id) or (None,))[0]
    if sender is None or _excluded(sender.name):
        return
    try:
        _store_failed(sender, task_id, args, kwargs, text, tb, run_pk)
    except Exception:
        logger.exception("could not store failed job %s[%s]", sender.name, task_id)


def _store_failed(
    task: Any, task_id: str, args: Any, kwargs: Any, text: str, tb: str, run_pk: int | None
) -> None:
    from forge_suite.scheduling.models import FailedJob
    from forge_suite.scheduling.signals import job_failed

    request = task.request
    plain_args = list(args or ())
    plain_kwargs = dict(kwargs or {})
    failed = FailedJob.objects.create(
        task_name=task.name,
        task_id=task_id,
        queue=_queue_of(task),
        args=_jsonable(plain_args, [repr(a) for a in plain_args]),
        kwargs=_jsonable(plain_kwargs, {k: repr(v) for k, v in plain_kwargs.items()}),
        exception=text,
        traceback=tb,
        attempts=(request.retries or 0) + 1,
        worker=str(request.hostname or ""),
        last_run_id=run_pk,
    )
    transaction.on_commit(lambda: job_failed.send(sender=FailedJob, failed_job=failed))


def record_eager_failure(task: Any, args: Any, kwargs: Any, exc: BaseException) -> None:
    """Record a failure of a job run eagerly with propagation (no task_failure is sent)."""
    import traceback as tb_module

    task_id = str(task.request.id)
    tb = "".join(tb_module.format_exception(exc))
    _on_failure(sender=task, task_id=task_id, exception=exc, args=args, kwargs=kwargs, einfo=None)
    with _lock:
        if task_id in _errors:
            _errors[task_id] = (_errors[task_id][0], tb)
    from forge_suite.scheduling.models import FailedJob

    FailedJob.objects.filter(task_id=task_id, traceback="").update(traceback=tb)


@celery_signals.task_postrun.connect(dispatch_uid="forge_scheduling.postrun")
def _on_postrun(task_id: str, task: Any, state: str | None = None, **_: Any) -> None:
    with _lock:
        running = _running.pop(task_id, None)
        error = _errors.pop(task_id, None)
    if running is None:
        return
    run_pk, started, queue = running
    runtime = time.monotonic() - started
    # No state: the exception propagated out of an eager task (task_eager_propagates).
    final_state = str(state or "FAILURE")
    metrics = suite_metrics()
    if metrics is not None:
        metrics.record_job(queue, task.name, final_state.lower(), runtime)
    if run_pk is None:
        return
    from forge_suite.scheduling.models import JobRun, JobState

    known = {choice.value for choice in JobState}
    values: dict[str, Any] = {
        "state": final_state if final_state in known else JobState.FAILURE,
        "finished_at": timezone.now(),
        "runtime": runtime,
    }
    if error:
        values["exception"], values["traceback"] = error
    try:
        JobRun.objects.filter(pk=run_pk).update(**values)
    except Exception:
        logger.exception("could not record the end of %s[%s]", task.name, task_id)
