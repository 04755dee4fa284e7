"""A worker whose heartbeat registration fails (a locked or restarting database) registers with
the next beat instead of never having a heartbeat."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import OperationalError

from forge_suite.scheduling import heartbeat
from forge_suite.scheduling.models import WorkerHeartbeat

pytestmark = pytest.mark.django_db


def test_a_failed_registration_is_retried_by_the_next_beat(monkeypatch: pytest.MonkeyPatch) -> None:
    real = WorkerHeartbeat.objects.update_or_create
    calls: list[int] = []

    def flaky(*args: Any, **kwargs: Any) -> Any:
        calls.append(1)
        if len(calls) == 1:
            raise OperationalError("database is locked")
        return real(*args, **kwargs)

    monkeypatch.setattr(WorkerHeartbeat.objects, "update_or_create", flaky)
    heart = heartbeat._Heart()
    heart.start("w1@test", "default", 2)  # logs a warning, does not give up
    try:
        assert not WorkerHeartbeat.objects.filter(hostname="w1@test").exists()
        heart.beat()
        row = WorkerHeartbeat.objects.get(hostname="w1@test")
        assert (row.queues, row.concurrency, row.stopped_at) == ("default", 2, None)
        heart.beat()  # registered: an ordinary beat from now on
        assert len(calls) == 2
    finally:
        heart.stop.set()
        if heart.thread is not None:
            heart.thread.join(5)
