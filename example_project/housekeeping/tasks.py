"""Demo jobs: clean expired sessions, build a daily digest of the job history."""

from __future__ import annotations

import datetime as dt
import logging

from django.contrib.sessions.models import Session
from django.utils import timezone

from forge_suite.scheduling import job

logger = logging.getLogger(__name__)


@job(queue="low", priority="low", max_retries=2, timeout=300)
def cleanup_sessions() -> int:
    """Delete expired sessions; return how many went."""
    deleted, _ = Session.objects.filter(expire_date__lt=timezone.now()).delete()
    logger.info("cleanup: %s expired sessions deleted", deleted)
    return deleted


@job(queue="default", max_retries=3, timeout=120)
def job_digest(hours: int = 24) -> dict[str, int]:
    """Count job runs per state over the last ``hours`` (a daily report for the team)."""
    from forge_suite.scheduling.models import JobRun

    since = timezone.now() - dt.timedelta(hours=hours)
    counts: dict[str, int] = {}
    for state in JobRun.objects.filter(started_at__gte=since).values_list("state", flat=True):
        counts[state] = counts.get(state, 0) + 1
    logger.info("digest of the last %sh: %s", hours, counts)
    return counts


@job(queue="high", priority="high", max_retries=1)
def heartbeat() -> str:
    """A tiny job that shows throughput on the dashboard."""
    return timezone.now().isoformat()
