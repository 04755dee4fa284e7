"""The benchmark's unit of work: count one in Redis. The same body twice, as a plain Celery
task and as a Forge Suite ``@job``."""

from __future__ import annotations

import os

import redis
from celery import shared_task

from forge_suite.scheduling.jobs import job

_client = redis.Redis.from_url(
    os.environ.get("FORGE_BENCH_COUNTER_URL", "redis://127.0.0.1:6379/4")
)


@shared_task(name="bench.plain_count", acks_late=True)
def plain_count(key: str) -> None:
    _client.incr(key)


@job(name="bench.forge_count", max_retries=0)
def forge_count(key: str) -> None:
    _client.incr(key)
