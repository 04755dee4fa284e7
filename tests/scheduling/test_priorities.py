"""Job priorities on real brokers: a high-priority job queued last runs first."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest

from forge_suite.celery import app as celery_app
from tests.scheduling import jobs
from tests.scheduling.conftest import REDIS_BROKER, wait_for

pytestmark = [pytest.mark.slow, pytest.mark.redis, pytest.mark.django_db(transaction=True)]

MAX_PRIORITY = 10


@pytest.fixture
def priority_queues() -> Iterator[None]:
    """Queues this process declares get x-max-priority, as the worker's do (RabbitMQ)."""
    queues = celery_app.amqp.queues
    saved = queues.max_priority
    queues.max_priority = MAX_PRIORITY
    yield
    queues.max_priority = saved


@pytest.mark.parametrize("broker_kind", ["redis", pytest.param("amqp", marks=pytest.mark.rabbitmq)])
def test_a_high_priority_job_queued_last_runs_before_the_waiting_ones(
    broker_kind: str,
    priority_queues: None,
    broker: Callable[[str], None],
    start_worker: Callable[..., Any],
    queue_name: str,
    redis_client: Any,
    request: pytest.FixtureRequest,
) -> None:
    url = REDIS_BROKER if broker_kind == "redis" else request.getfixturevalue("amqp_url")
    broker(url)
    key = f"{redis_client.test_prefix}order"
    record = jobs.record.on_queue(queue_name)
    # Everything waits in the broker before a worker exists, in this order:
    for number in range(4):
        record.with_priority("low").dispatch(key, f"low-{number}")
    record.dispatch(key, "default")
    record.with_priority("high").dispatch(key, "high")

    start_worker(
        url,
        queue_name,
        concurrency=1,
        extra_env={"FORGE_WORKER_QUEUE_MAX_PRIORITY": str(MAX_PRIORITY)},
    )
    order = wait_for(
        lambda: rows if len(rows := redis_client.lrange(key, 0, -1)) == 6 else None,
        60,
        "the six jobs",
    )
    assert [v.decode() for v in order] == [
        "high",
        "default",
        "low-0",
        "low-1",
        "low-2",
        "low-3",
    ]
