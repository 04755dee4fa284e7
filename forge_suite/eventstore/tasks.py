"""Celery task that delivers outbox messages right after their transaction commits."""

from __future__ import annotations

from typing import Any

from forge_suite.core.celery import get_celery_app

app = get_celery_app()


@app.task(name="forge_eventstore.deliver_outbox", ignore_result=True)
def deliver_outbox(ids: list[int], using: str = "default") -> dict[str, Any]:
    """Deliver the given messages if still due (retries are the outbox's, not Celery's)."""
    from forge_suite.eventstore.outbox import process_outbox

    report = process_outbox(ids=ids, using=using)
    return {"delivered": report.delivered, "retried": report.retried, "dead": report.dead}
