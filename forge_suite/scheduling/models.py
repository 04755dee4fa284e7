"""Job history (``JobRun``) and the dead-letter store (``FailedJob``)."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class JobState(models.TextChoices):
    STARTED = "STARTED", _("started")
    SUCCESS = "SUCCESS", _("success")
    FAILURE = "FAILURE", _("failure")
    RETRY = "RETRY", _("retry")
    LOST = "LOST", _("lost (worker died)")
    REVOKED = "REVOKED", _("revoked")
    REJECTED = "REJECTED", _("rejected")
    IGNORED = "IGNORED", _("ignored")


class JobRun(models.Model):
    """One execution (attempt) of one Celery task, written from Celery's task signals."""

    task_name = models.CharField(_("task"), max_length=255)
    task_id = models.CharField(_("task id"), max_length=255)
    queue = models.CharField(_("queue"), max_length=200, blank=True, default="")
    args_summary = models.TextField(_("arguments"), blank=True, default="")
    state = models.CharField(
        _("state"), max_length=10, choices=JobState.choices, default=JobState.STARTED
    )
    attempt = models.PositiveIntegerField(_("attempt"), default=1)
    worker = models.CharField(_("worker"), max_length=255, blank=True, default="")
    enqueued_at = models.DateTimeField(_("enqueued at"), null=True, blank=True)
    started_at = models.DateTimeField(_("started at"))
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)
    runtime = models.FloatField(_("runtime (s)"), null=True, blank=True)
    wait_time = models.FloatField(_("wait time (s)"), null=True, blank=True)
    exception = models.TextField(_("exception"), blank=True, default="")
    traceback = models.TextField(_("traceback"), blank=True, default="")
    eager = models.BooleanField(_("ran eagerly"), default=False)
    retry_of = models.ForeignKey(
        "FailedJob",
        verbose_name=_("retry of failed job"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="retry_runs",
    )

    class Meta:
        verbose_name = _("job run")
        verbose_name_plural = _("job runs")
        ordering = ["-started_at", "-id"]
        indexes = [
            models.Index(fields=["task_id", "attempt"], name="forge_sched_run_task_id"),
            models.Index(fields=["started_at"], name="forge_sched_run_started"),
            models.Index(fields=["task_name", "started_at"], name="forge_sched_run_task"),
            models.Index(fields=["state", "started_at"], name="forge_sched_run_state"),
        ]

    def __str__(self) -> str:
        return f"{self.task_name} [{self.task_id}] #{self.attempt} {self.state}"


class FailedJob(models.Model):
    """A job that exhausted its retries, with everything needed to run it again."""

    task_name = models.CharField(_("task"), max_length=255)
    task_id = models.CharField(_("task id"), max_length=255)
    queue = models.CharField(_("queue"), max_length=200, blank=True, default="")
    args = models.JSONField(_("positional arguments"), default=list, blank=True)
    kwargs = models.JSONField(_("keyword arguments"), default=dict, blank=True)
    exception = models.TextField(_("exception"), blank=True, default="")
    traceback = models.TextField(_("traceback"), blank=True, default="")
    attempts = models.PositiveIntegerField(_("attempts"), default=1)
    worker = models.CharField(_("worker"), max_length=255, blank=True, default="")
    failed_at = models.DateTimeField(_("failed at"), auto_now_add=True)
    retried_at = models.DateTimeField(_("retried at"), null=True, blank=True)
    retry_task_id = models.CharField(_("retry task id"), max_length=255, blank=True, default="")
    retry_count = models.PositiveIntegerField(_("times retried"), default=0)
    last_run = models.ForeignKey(
        JobRun,
        verbose_name=_("last run"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    class Meta:
        verbose_name = _("failed job")
        verbose_name_plural = _("failed jobs")
        ordering = ["-failed_at", "-id"]
        indexes = [
            models.Index(fields=["failed_at"], name="forge_sched_failed_at"),
            models.Index(fields=["task_name", "failed_at"], name="forge_sched_failed_task"),
            models.Index(fields=["task_id"], name="forge_sched_failed_task_id"),
        ]

    def __str__(self) -> str:
        return f"{self.task_name} [{self.task_id}] failed: {self.exception[:80]}"


class ScheduleSlot(models.Model):
    """A scheduled event's due time that was claimed by a runner (at most one run per slot).

    Used when no Redis is configured; with Redis the claim is a key with an expiry instead.
    """

    event = models.CharField(_("event"), max_length=255)
    slot = models.DateTimeField(_("due time"))
    claimed_at = models.DateTimeField(_("claimed at"), auto_now_add=True)

    class Meta:
        verbose_name = _("schedule slot")
        verbose_name_plural = _("schedule slots")
        ordering = ["-slot", "event"]
        constraints = [
            models.UniqueConstraint(fields=["event", "slot"], name="forge_sched_slot_unique")
        ]
        indexes = [models.Index(fields=["claimed_at"], name="forge_sched_slot_claimed")]

    def __str__(self) -> str:
        return f"{self.event} @ {self.slot.isoformat()}"


class WorkerHeartbeat(models.Model):
    """A worker (one ``manage.py worker`` process tree) and the last time it was seen alive."""

    hostname = models.CharField(_("worker"), max_length=255, unique=True)
    pid = models.PositiveIntegerField(_("process id"), default=0)
    queues = models.CharField(_("queues"), max_length=1000, blank=True, default="")
    concurrency = models.PositiveIntegerField(_("concurrency"), default=0)
    started_at = models.DateTimeField(_("started at"))
    last_seen = models.DateTimeField(_("last seen"))
    stopped_at = models.DateTimeField(_("stopped at"), null=True, blank=True)

    class Meta:
        verbose_name = _("worker")
        verbose_name_plural = _("workers")
        ordering = ["hostname"]
        indexes = [models.Index(fields=["last_seen"], name="forge_sched_worker_seen")]

    def __str__(self) -> str:
        return self.hostname
