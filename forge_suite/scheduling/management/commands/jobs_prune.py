"""``manage.py jobs_prune``: apply the history retention settings now."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from forge_suite.scheduling.tasks import prune_history


class Command(BaseCommand):
    help = "Delete JobRun/FailedJob rows older than the configured retention."

    def handle(self, *args: Any, **options: Any) -> None:
        counts = prune_history()
        self.stdout.write(
            f"deleted {counts['job_runs']} job run(s) and {counts['failed_jobs']} failed job(s)"
        )
