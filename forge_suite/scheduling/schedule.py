"""The scheduling app's own schedule: apply the history retention every night."""

from __future__ import annotations

from forge_suite.scheduling.scheduler import Schedule
from forge_suite.scheduling.tasks import prune_history


def schedule(schedule: Schedule) -> None:
    schedule.call(prune_history).daily_at("03:30").named("scheduling.prune_history").describe(
        "Delete job history past FORGE['SCHEDULING']['HISTORY_RETENTION_DAYS']."
    )
