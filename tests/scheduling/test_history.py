"""The batching history writer: a run that ends before a flush costs one INSERT."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from forge_suite.scheduling.history import HistoryWriter
from forge_suite.scheduling.models import JobRun, JobState

pytestmark = pytest.mark.django_db


class ManualWriter(HistoryWriter):
    """Flushed by the test instead of by the background thread."""

    def _ensure_thread(self) -> None:
        return None


def fields(task_id: str) -> dict[str, object]:
    return {
        "task_name": "t",
        "task_id": task_id,
        "attempt": 1,
        "state": JobState.STARTED,
        "started_at": timezone.now(),
    }


def test_start_and_end_between_flushes_become_one_insert() -> None:
    writer = ManualWriter()
    for n in range(50):
        writer.start((f"id-{n}", 1), fields(f"id-{n}"), immediate=False)
        writer.end((f"id-{n}", 1), {"state": JobState.SUCCESS, "runtime": 0.1}, immediate=False)
    assert writer.pending() == 50
    assert not JobRun.objects.exists(), "nothing is written before the flush"
    with CaptureQueriesContext(connection) as queries:
        writer.flush()
    inserts = [q for q in queries if q["sql"].startswith("INSERT")]
    assert len(inserts) == 1
    assert JobRun.objects.filter(state=JobState.SUCCESS).count() == 50
    assert writer.pending() == 0


def test_a_long_run_is_inserted_as_started_then_updated() -> None:
    writer = ManualWriter()
    writer.start(("long", 1), fields("long"), immediate=False)
    writer.flush()
    assert JobRun.objects.get(task_id="long").state == JobState.STARTED
    writer.end(("long", 1), {"state": JobState.SUCCESS}, immediate=False)
    writer.flush()
    assert JobRun.objects.get(task_id="long").state == JobState.SUCCESS


def test_immediate_mode_writes_at_once() -> None:
    writer = ManualWriter()
    writer.start(("now", 1), fields("now"), immediate=True)
    assert JobRun.objects.filter(task_id="now").exists()
    writer.end(("now", 1), {"state": JobState.FAILURE}, immediate=True)
    assert JobRun.objects.get(task_id="now").state == JobState.FAILURE


def test_known_states_match_the_model_choices() -> None:
    from forge_suite.scheduling.history import _KNOWN_STATES

    assert {choice.value for choice in JobState} == _KNOWN_STATES
