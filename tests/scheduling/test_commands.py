"""schedule_list / schedule_run / schedule_test, the worker command's options, checks."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from io import StringIO
from typing import Any

import pytest
from django.core.checks import run_checks
from django.core.management import CommandError, call_command
from django.test import override_settings

from forge_suite.scheduling.worker import WorkerOptions, default_queues, worker_argv

pytestmark = pytest.mark.django_db


def run(*args: str) -> str:
    out = StringIO()
    call_command(*args, stdout=out)
    return out.getvalue()


def test_schedule_list_shows_next_runs_in_each_events_timezone() -> None:
    output = run("schedule_list", "--now", "2026-11-23T06:30:00+00:00")
    assert "housekeeping.digest\n  0 8 * * 1-5 (Europe/Paris)  next: 2026-11-23 08:00 CET" in output
    assert (
        "17 * * * * (UTC)  next: 2026-11-23 07:17 UTC  [not synced]\n  without overlapping"
        in output
    )
    assert "[not synced]" in output
    run("schedule_sync")
    assert "[last run never]" in run("schedule_list")
    with pytest.raises(CommandError, match="ISO 8601"):
        run("schedule_list", "--now", "tomorrow")


def test_schedule_run_runs_an_event_now() -> None:
    output = run("schedule_run", "housekeeping.digest")
    assert output == "housekeeping.digest: ran\n"
    with pytest.raises(CommandError, match="no scheduled event named 'nope'"):
        run("schedule_run", "nope")


def test_schedule_test_says_what_is_due_at_a_given_time() -> None:
    output = run("schedule_test", "--at", "2026-11-23T08:00:00+01:00", "--count", "2")
    assert "event(s) load and validate." in output
    assert "housekeeping.digest: 0 8 * * 1-5 (Europe/Paris) -> " in output
    digest = output.split("housekeeping.digest:")[1]
    assert "at 2026-11-23 08:00 CET: DUE" in digest
    cleanup = output.split("housekeeping.cleanup_sessions:")[1].split("\n")[1]
    assert "not due" in cleanup
    with pytest.raises(CommandError, match="--count"):
        run("schedule_test", "--count", "0")


def test_worker_refuses_to_start_without_a_broker() -> None:
    with pytest.raises(CommandError, match="no Celery broker is configured"):
        run("worker")


def test_worker_argv_has_the_reliability_defaults_and_beat() -> None:
    argv = worker_argv(WorkerOptions(queues=["a", "b"], concurrency=2, beat=True))
    assert argv[:2] == ["worker", "--queues=a,b"]
    assert "--prefetch-multiplier=1" in argv
    assert "--concurrency=2" in argv
    assert "--beat" in argv
    assert "--scheduler=django_celery_beat.schedulers:DatabaseScheduler" in argv
    with pytest.raises(ValueError, match="unknown pool"):
        worker_argv(WorkerOptions(pool="fibers"))


def test_default_queues_include_every_declared_job_queue() -> None:
    queues = default_queues()
    assert queues[:3] == ["high", "default", "low"]
    assert "celery" in queues  # plain Celery tasks
    import tests.scheduling.test_jobs  # noqa: F401  declares a job on "reports"

    assert "reports" in default_queues()


def test_worker_rejects_bad_numbers() -> None:
    with pytest.raises(CommandError, match="--concurrency"):
        run("worker", "--concurrency", "0")


def _ids() -> set[str]:
    return {m.id for m in run_checks() if m.id and m.id.startswith("forge_scheduling")}


def test_checks_pass_by_default() -> None:
    assert _ids() == set()


def test_check_e002_names_a_broken_schedule_module() -> None:
    with override_settings(FORGE={"SCHEDULING": {"SCHEDULE_MODULES": ["no.such.schedule"]}}):
        messages = [m for m in run_checks() if m.id == "forge_scheduling.E002"]
    assert len(messages) == 1
    assert "no.such.schedule" in messages[0].msg


def test_check_w001_warns_about_process_local_locks_with_real_workers() -> None:
    from forge_suite.celery import app as celery_app

    conf = celery_app.conf
    saved = (conf.broker_url, conf.task_always_eager)
    conf.broker_url, conf.task_always_eager = "redis://127.0.0.1:6379/3", False
    try:
        assert "forge_scheduling.W001" in _ids()  # housekeeping.cleanup_sessions locks
        with override_settings(FORGE={"REDIS_URL": "redis://127.0.0.1:6379/15"}):
            assert "forge_scheduling.W001" not in _ids()
    finally:
        conf.broker_url, conf.task_always_eager = saved


def test_check_e001_requires_django_celery_beat() -> None:
    from django.apps import apps

    from forge_suite.scheduling.checks import check_beat_installed

    with override_settings(
        INSTALLED_APPS=[a.name for a in apps.get_app_configs() if a.name != "django_celery_beat"]
    ):
        messages = check_beat_installed()
    assert [m.id for m in messages] == ["forge_scheduling.E001"]
    assert check_beat_installed() == []


def test_worker_exits_with_the_workers_exit_code(monkeypatch: pytest.MonkeyPatch) -> None:
    """A worker that stops with an error code must not look like a clean exit to supervisors."""
    from forge_suite.celery import app as celery_app

    seen: list[list[str]] = []

    def start(argv: list[str] | None = None) -> int:
        seen.append(list(argv or []))
        return 3

    monkeypatch.setattr(celery_app, "start", start)
    saved = (celery_app.conf.broker_url, celery_app.conf.task_always_eager)
    celery_app.conf.update(broker_url="redis://127.0.0.1:6379/3", task_always_eager=False)
    try:
        with (
            override_settings(CELERY_BROKER_URL="redis://127.0.0.1:6379/3"),
            pytest.raises(SystemExit) as info,
        ):
            run("worker", "--queues", "a")
    finally:
        celery_app.conf.update(broker_url=saved[0], task_always_eager=saved[1])
    assert info.value.code == 3
    assert seen[0][0] == "worker"
    assert "--queues=a" in seen[0]


@pytest.fixture
def fake_worker(monkeypatch: pytest.MonkeyPatch) -> Iterator[Callable[..., tuple[str, str]]]:
    """Run ``manage.py worker`` against a Redis broker URL without starting Celery."""
    from forge_suite.celery import app as celery_app

    monkeypatch.setattr(celery_app, "start", lambda argv=None: 0)
    conf = celery_app.conf
    saved = (conf.broker_url, conf.task_always_eager, conf.broker_transport_options)

    def start(*args: str, transport_options: dict[str, Any]) -> tuple[str, str]:
        conf.update(
            broker_url="redis://127.0.0.1:6379/3",
            task_always_eager=False,
            broker_transport_options=transport_options,
        )
        out, err = StringIO(), StringIO()
        call_command("worker", *args, stdout=out, stderr=err)
        return out.getvalue(), err.getvalue()

    yield start
    conf.update(broker_url=saved[0], task_always_eager=saved[1], broker_transport_options=saved[2])


def test_worker_warns_when_a_time_limit_exceeds_the_visibility_timeout(
    fake_worker: Callable[..., tuple[str, str]],
) -> None:
    # housekeeping.cleanup_sessions has timeout=300: a hard limit of 330 s.
    _, err = fake_worker("--queues", "low", transport_options={"visibility_timeout": 120})
    assert (
        "job example_project.housekeeping.tasks.cleanup_sessions may run 330s (its time "
        "limit), longer than the broker's visibility_timeout of 120s" in err
    )
    assert "RETRY_BACKOFF_MAX\"] (600s) is longer than the broker's visibility_timeout" in err
    # Jobs of queues this worker does not consume are not its concern.
    _, err = fake_worker("--queues", "high", transport_options={"visibility_timeout": 120})
    assert "cleanup_sessions" not in err


def test_worker_is_quiet_with_the_example_projects_visibility_timeout(
    fake_worker: Callable[..., tuple[str, str]],
) -> None:
    from example_project import settings as example

    options = example.CELERY_BROKER_TRANSPORT_OPTIONS
    assert options["visibility_timeout"] < 3600  # a killed job comes back sooner than an hour
    _, err = fake_worker("--queues", "low,default,high", transport_options=options)
    assert "visibility_timeout" not in err
    # Kombu's default (one hour) covers them too.
    _, err = fake_worker("--queues", "low", transport_options={})
    assert "visibility_timeout" not in err


def test_check_w002_warns_when_workers_would_be_taken_for_gone_between_heartbeats() -> None:
    forge = {"SCHEDULING": {"HEARTBEAT_INTERVAL": 10, "WORKER_LOST_AFTER": 15}}
    with override_settings(FORGE=forge):
        assert "forge_scheduling.W002" in _ids()
    forge = {"SCHEDULING": {"HEARTBEAT_INTERVAL": 10, "WORKER_LOST_AFTER": 30}}
    with override_settings(FORGE=forge):
        assert "forge_scheduling.W002" not in _ids()
