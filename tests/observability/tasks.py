"""Tasks the test worker runs."""

from __future__ import annotations

import logging

from celery import shared_task

logger = logging.getLogger("tests.observability.job")


@shared_task(name="forge_obs_tests.log_in_job")
def log_in_job(marker: str) -> str:
    logger.info("job ran %s", marker)
    return marker


@shared_task(name="forge_obs_tests.fail_in_job")
def fail_in_job(marker: str) -> None:
    raise RuntimeError(f"job failed {marker}")
