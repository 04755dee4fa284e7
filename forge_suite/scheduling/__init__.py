"""Background jobs, schedules, history and failed jobs.

Public API::

    from forge_suite.scheduling import job, Schedule, run_event, retry_failed
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from forge_suite.core.exports import lazy_dir, lazy_exports

__all__ = [
    "Event",
    "Job",
    "Schedule",
    "flush_failed",
    "forget_failed",
    "job",
    "load_schedule",
    "retry_failed",
    "run_event",
    "sync_schedule",
]

if TYPE_CHECKING:  # mypy sees the real, typed names; at run time they load lazily
    from forge_suite.scheduling.failed import flush_failed, forget_failed, retry_failed
    from forge_suite.scheduling.jobs import Job, job
    from forge_suite.scheduling.scheduler import Event, Schedule, load_schedule, run_event
    from forge_suite.scheduling.sync import sync_schedule

_EXPORTS = {
    "Job": "forge_suite.scheduling.jobs",
    "job": "forge_suite.scheduling.jobs",
    "Event": "forge_suite.scheduling.scheduler",
    "Schedule": "forge_suite.scheduling.scheduler",
    "load_schedule": "forge_suite.scheduling.scheduler",
    "run_event": "forge_suite.scheduling.scheduler",
    "sync_schedule": "forge_suite.scheduling.sync",
    "retry_failed": "forge_suite.scheduling.failed",
    "forget_failed": "forge_suite.scheduling.failed",
    "flush_failed": "forge_suite.scheduling.failed",
}

__getattr__ = lazy_exports(__name__, _EXPORTS)
__dir__ = lazy_dir(__name__, _EXPORTS)
