"""JobRun history and FailedJob capture, written from Celery's task signals.

The publisher only stamps a header (no database access). In a worker, the start of a run is
buffered and written by a background thread every ``HISTORY_FLUSH_INTERVAL`` seconds (so a
long run shows as STARTED); when the job returns, before the worker acknowledges the message,
the end is appended to this process's journal file and written with
the next batch (a run that ended before its start was flushed costs one INSERT with the final
state); the next worker replays the journal of a killed process (:mod:`.journal`). A worker
killed with SIGKILL therefore never loses the row of a finished job;
a run it was executing is marked LOST when its message is delivered again or when the reaper
sees the worker's heartbeat stop (:mod:`.heartbeat`). Eager runs and
``HISTORY_FLUSH_INTERVAL = 0`` also write starts immediately. Writes never break a task:
errors are logged.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import os
import threading
import time
from collections.abc import Callable
from typing import Any

from celery import signals as celery_signals
from celery.utils.dispatch import Signal
from django.db import transaction
from django.utils import timezone

from forge_suite.core.metrics import metrics
from forge_suite.scheduling.conf import app_settings
from forge_suite.scheduling.journal import Journal

logger = logging.getLogger("forge_suite.scheduling.history")

ENQUEUED_HEADER = "forge_enqueued_at"
#: The Celery task that runs the tasks of Django's Tasks framework (see ``tasks_backend``):
#: its history rows are named after the Django task it ran.
DJANGO_TASK_RUNNER = "forge_scheduling.django_task"
RETRY_OF_HEADER = "forge_retry_of"

# Per-process bookkeeping between prerun and postrun, keyed by task id:
# ((task id, attempt) of the JobRun or None when not recorded, monotonic start, queue).
_running: dict[str, tuple[tuple[str, int] | None, float, str, bool]] = {}
_errors: dict[str, tuple[str, str]] = {}
_lock = threading.Lock()


class HistoryWriter:
    """Buffers JobRun starts and ends of this process and writes them in batches."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._flush_lock = threading.Lock()
        self._starts: dict[tuple[str, int], dict[str, Any]] = {}
        self._ends: dict[tuple[str, int], dict[str, Any]] = {}
        self._thread: threading.Thread | None = None
        self._pid: int | None = None
        self._wake = threading.Event()
        self._journal = Journal()

    def start(self, key: tuple[str, int], fields: dict[str, Any], *, immediate: bool) -> None:
        if immediate:
            self.flush()
            self._write({key: fields}, {})
            return
        with self._lock:
            self._starts[key] = fields
        self._ensure_thread()

    def end(self, key: tuple[str, int], values: dict[str, Any], *, immediate: bool) -> None:
        """Record the end of a run before the worker acknowledges its message.

        Batched ends are journaled first (see :mod:`.journal`): a worker killed before the
        next flush leaves them for the next worker to write. Immediate ends are written now,
        serialised with :meth:`flush` so a start being written is in the table first.
        """
        if immediate:
            with self._flush_lock:
                with self._lock:
                    pending = self._starts.pop(key, None)
                if pending is not None:
                    pending.update(values)  # never written yet: one INSERT, final state
                    self._write({key: pending}, {})
                else:
                    self._write({}, {key: values})
            return
        with self._lock:
            pending = self._starts.get(key)
            if pending is not None:
                pending.update(values)  # never written yet: one INSERT with the final state
                self._journal.append("row", key, pending)
            else:
                self._ends[key] = values
                self._journal.append("end", key, values)
        self._ensure_thread()

    def pending(self) -> int:
        with self._lock:
            return len(self._starts) + len(self._ends)

    def flush(self) -> None:
        """Write everything buffered so far (one transaction)."""
        with self._flush_lock:
            with self._lock:
                starts, self._starts = self._starts, {}
                ends, self._ends = self._ends, {}
                batch = self._journal.rotate()
            written = self._write(starts, ends) if starts or ends else True
            self._journal.finish(batch, written)

    def _write(
        self,
        starts: dict[tuple[str, int], dict[str, Any]],
        ends: dict[tuple[str, int], dict[str, Any]],
    ) -> bool:
        from forge_suite.scheduling.models import JobRun

        try:
            if len(starts) + len(ends) == 1:
                # One statement in autocommit: one round trip instead of BEGIN/...COMMIT.
                if starts:
                    JobRun.objects.create(**next(iter(starts.values())))
                else:
                    [((task_id, attempt), values)] = ends.items()
                    JobRun.objects.filter(task_id=task_id, attempt=attempt).update(**values)
                return True
            with transaction.atomic():
                if starts:
                    JobRun.objects.bulk_create([JobRun(**fields) for fields in starts.values()])
                for (task_id, attempt), values in ends.items():
                    JobRun.objects.filter(task_id=task_id, attempt=attempt).update(**values)
        except Exception:
            logger.exception("could not write %s job history row(s)", len(starts) + len(ends))
            return False
        return True

    def _ensure_thread(self) -> None:
        pid = os.getpid()
        if self._thread is not None and self._pid == pid and self._thread.is_alive():
            return
        with self._lock:
            if self._thread is not None and self._pid == pid and self._thread.is_alive():
                return
            self._pid = pid
            self._thread = threading.Thread(target=self._run, name="forge-job-history", daemon=True)
            self._thread.start()

    def _run(self) -> None:
        from django.db import connection

        while True:
            self._wake.wait(float(app_settings.HISTORY_FLUSH_INTERVAL) or 0.5)
            self._wake.clear()
            try:
                self.flush()
            except Exception:  # keep the thread alive whatever happens
                logger.exception("job history flush failed")
                connection.close()


#: The process-wide writer.
writer = HistoryWriter()


def flush_history() -> None:
    """Write buffered JobRun rows of this process now (tests, shutdown)."""
    writer.flush()


def _flush_on_shutdown(**kwargs: Any) -> None:
    try:
        writer.flush()
    except Exception:
        logger.exception("could not flush job history at shutdown")


def _immediate(task: Any) -> bool:
    return bool(getattr(task.request, "is_eager", False)) or not app_settings.HISTORY_FLUSH_INTERVAL


_KNOWN_STATES = frozenset(
    {"STARTED", "SUCCESS", "FAILURE", "RETRY", "LOST", "REVOKED", "REJECTED", "IGNORED"}
)


def _excluded(name: str) -> bool:
    for pattern in app_settings.HISTORY_EXCLUDE:
        if pattern.endswith("*") and name.startswith(pattern[:-1]):
            return True
        if name == pattern:
            return True
    return False


def request_header(request: Any, name: str) -> Any:
    """A message header of a task request (Celery exposes custom ones as attributes)."""
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


def _on_publish(headers: dict[str, Any] | None = None, **kwargs: Any) -> None:
    if headers is not None and ENQUEUED_HEADER not in headers:
        headers[ENQUEUED_HEADER] = time.time()


def _shown(task: Any, args: Any, kwargs: Any) -> tuple[str, Any, Any]:
    """Task name and arguments a history row shows (a Django task's own, for its runner)."""
    if task.name == DJANGO_TASK_RUNNER and args and len(args) >= 3:
        return str(args[0]), args[1], args[2]
    return task.name, args, kwargs


def _on_prerun(task_id: str, task: Any, args: Any = None, kwargs: Any = None, **_: Any) -> None:
    if not app_settings.HISTORY or _excluded(_shown(task, args, kwargs)[0]):
        with _lock:
            _running[task_id] = (None, time.monotonic(), _queue_of(task), True)
        return
    try:
        _start_run(task_id, task, args, kwargs)
    except Exception:
        logger.exception("could not record the start of %s[%s]", task.name, task_id)
        with _lock:
            _running[task_id] = (None, time.monotonic(), _queue_of(task), True)


_wait_signalled: dict[str, float] = {}


def _check_wait(queue: str, task_name: str, wait: float) -> None:
    """Send queue_wait_exceeded when ``wait`` is over the queue's threshold (once a minute)."""
    thresholds = app_settings.WAIT_THRESHOLDS
    threshold = thresholds.get(queue, thresholds.get("*"))
    if threshold is None or wait <= float(threshold):
        return
    now = time.monotonic()
    if now - _wait_signalled.get(queue, -120.0) < 60:
        return
    _wait_signalled[queue] = now
    from forge_suite.scheduling.signals import queue_wait_exceeded

    queue_wait_exceeded.send(
        sender=None, queue=queue, wait=wait, threshold=float(threshold), task_name=task_name
    )


def _start_run(task_id: str, task: Any, args: Any, kwargs: Any) -> None:
    from forge_suite.scheduling.models import JobRun, JobState

    request = task.request
    now = timezone.now()
    queue = _queue_of(task)
    name, args, kwargs = _shown(task, args, kwargs)
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
        else:
            # The worker died before its batched write of the first attempt: record that
            # attempt now, so the history still shows both.
            JobRun.objects.create(
                task_name=name,
                task_id=task_id,
                queue=queue,
                args_summary=_summary(args, kwargs),
                state=JobState.LOST,
                attempt=attempt,
                started_at=now,
                finished_at=now,
                exception="The worker was lost before this attempt's history was written.",
            )
            attempt += 1
        JobRun.objects.filter(task_id=task_id, state=JobState.STARTED).update(
            state=JobState.LOST, finished_at=now
        )
    enqueued = request_header(request, ENQUEUED_HEADER)
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
    if wait_from is not None:
        _check_wait(queue, name, (now - wait_from).total_seconds())
    retry_of = request_header(request, RETRY_OF_HEADER)
    fields = {
        "task_name": name,
        "task_id": task_id,
        "queue": queue,
        "args_summary": _summary(args, kwargs),
        "state": JobState.STARTED,
        "attempt": attempt,
        "worker": str(request.hostname or ""),
        "enqueued_at": enqueued_at,
        "started_at": now,
        "wait_time": max(0.0, (now - wait_from).total_seconds()) if wait_from else None,
        "eager": bool(request.is_eager),
        "retry_of_id": int(retry_of) if retry_of else None,
    }
    key = (task_id, attempt)
    immediate = _immediate(task)
    writer.start(key, fields, immediate=immediate)
    with _lock:
        _running[task_id] = (key, time.monotonic(), queue, immediate)


def _on_retry(request: Any = None, reason: Any = None, einfo: Any = None, **_: Any) -> None:
    if request is not None:
        with _lock:
            _errors[request.id] = (repr(reason), str(einfo.traceback) if einfo else "")


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
        run_key = (_running.get(task_id) or (None,))[0]
    if sender is None or _excluded(sender.name):
        return
    try:
        _store_failed(sender, task_id, args, kwargs, text, tb, run_key)
    except Exception:
        logger.exception("could not store failed job %s[%s]", sender.name, task_id)


def _store_failed(
    task: Any,
    task_id: str,
    args: Any,
    kwargs: Any,
    text: str,
    tb: str,
    run_key: tuple[str, int] | None,
) -> None:
    from forge_suite.scheduling.models import FailedJob, JobRun

    run_pk = None
    if run_key is not None:
        writer.flush()  # failures are rare: make the run row exist to link it
        run_pk = (
            JobRun.objects.filter(task_id=run_key[0], attempt=run_key[1])
            .values_list("pk", flat=True)
            .first()
        )
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


def _on_postrun(task_id: str, task: Any, state: str | None = None, **_: Any) -> None:
    with _lock:
        running = _running.pop(task_id, None)
        error = _errors.pop(task_id, None)
    if running is None:
        return
    run_key, started, queue, immediate = running
    runtime = time.monotonic() - started
    # No state: the exception propagated out of an eager task (task_eager_propagates).
    final_state = str(state or "FAILURE")
    metrics().record_job(queue, task.name, final_state.lower(), runtime)
    if run_key is None:
        return
    from forge_suite.scheduling.models import JobState

    values: dict[str, Any] = {
        "state": final_state if final_state in _KNOWN_STATES else JobState.FAILURE,
        "finished_at": timezone.now(),
        "runtime": runtime,
    }
    if error:
        values["exception"], values["traceback"] = error
    # Failures are rare and go with a FailedJob row: their history is written at once.
    failed = values["state"] == JobState.FAILURE
    writer.end(run_key, values, immediate=failed or immediate)


def _on_revoked(request: Any = None, terminated: bool = False, **_: Any) -> None:
    """A revoked job (terminated while running, or dropped on arrival): mark its run."""
    from forge_suite.scheduling.models import JobRun, JobState

    task_id = getattr(request, "id", None)
    if not task_id:
        return
    try:
        writer.flush()
        reason = "Terminated by a revoke." if terminated else "Revoked before it ran."
        JobRun.objects.filter(task_id=task_id, state=JobState.STARTED).update(
            state=JobState.REVOKED, finished_at=timezone.now(), exception=reason
        )
    except Exception:
        logger.exception("could not record the revoke of %s", task_id)


def connect() -> None:
    """Connect the history's Celery receivers (called from ``SchedulingConfig.ready()``)."""
    receivers: list[tuple[Signal, Callable[..., None], str]] = [
        (celery_signals.worker_process_shutdown, _flush_on_shutdown, "flush_child"),
        (celery_signals.worker_shutdown, _flush_on_shutdown, "flush_worker"),
        (celery_signals.before_task_publish, _on_publish, "publish"),
        (celery_signals.task_prerun, _on_prerun, "prerun"),
        (celery_signals.task_retry, _on_retry, "retry"),
        (celery_signals.task_failure, _on_failure, "failure"),
        (celery_signals.task_postrun, _on_postrun, "postrun"),
        (celery_signals.task_revoked, _on_revoked, "revoked"),
    ]
    for signal, receiver, uid in receivers:
        signal.connect(receiver, weak=False, dispatch_uid=f"forge_scheduling.{uid}")
