"""The batching history writer: a run that ends before a flush costs one INSERT."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import connection
from django.test import override_settings
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from forge_suite.scheduling.history import HistoryWriter
from forge_suite.scheduling.journal import replay_journals
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


def test_a_killed_process_journal_is_replayed_once_and_idempotently(tmp_path: Any) -> None:
    """What a worker killed before its flush leaves behind, and the next worker writes."""
    with override_settings(FORGE={"SCHEDULING": {"HISTORY_JOURNAL_DIR": str(tmp_path)}}):
        writer = ManualWriter()
        writer.start(("short", 1), fields("short"), immediate=False)
        writer.end(("short", 1), {"state": JobState.SUCCESS, "runtime": 0.1}, immediate=False)
        writer.start(("long", 1), fields("long"), immediate=False)
        writer.flush()  # "long" was written as STARTED (and so was "short", finished)
        writer.end(("long", 1), {"state": JobState.SUCCESS, "runtime": 9.0}, immediate=False)
        writer.start(("late", 1), fields("late"), immediate=False)
        writer.end(("late", 1), {"state": JobState.FAILURE, "runtime": 0.2}, immediate=False)
        # Killed here: nothing of the last two ends reached the database. A dead pid's file:
        [live] = [p for p in tmp_path.iterdir() if p.suffix == ".jsonl"]
        dead = tmp_path / f"999999999-{live.name.split('-', 1)[1]}"
        live.rename(dead)
        assert JobRun.objects.get(task_id="long").state == JobState.STARTED
        assert not JobRun.objects.filter(task_id="late").exists()

        assert replay_journals() == 2
        assert replay_journals() == 0  # the file is gone: nothing twice
    rows = {r.task_id: (r.state, r.runtime) for r in JobRun.objects.all()}
    assert rows == {
        "short": (JobState.SUCCESS, 0.1),
        "long": (JobState.SUCCESS, 9.0),
        "late": (JobState.FAILURE, 0.2),
    }
    assert list(tmp_path.iterdir()) == []
