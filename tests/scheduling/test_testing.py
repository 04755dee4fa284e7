"""The public test helpers: fake_jobs() records dispatches, run_jobs_eagerly() runs them."""

from __future__ import annotations

import pytest

from forge_suite.celery import app as celery_app
from forge_suite.scheduling import job
from forge_suite.scheduling.models import JobRun, JobState
from forge_suite.scheduling.testing import fake_jobs, run_jobs_eagerly

pytestmark = pytest.mark.django_db

RAN: list[str] = []


@job(queue="mail")
def send_welcome(email: str) -> str:
    RAN.append(email)
    return f"welcome {email}"


@job
def send_invoice(number: int) -> None:
    RAN.append(f"invoice {number}")
    send_welcome.dispatch("billing@example.com")


@pytest.fixture(autouse=True)
def _clear() -> None:
    RAN.clear()


def test_fake_jobs_records_instead_of_running_and_asserts() -> None:
    with fake_jobs() as jobs:
        send_welcome.dispatch("ada@example.com")
        send_welcome.on_queue("vip").dispatch("grace@example.com", delay=30)
    assert RAN == []
    jobs.assert_dispatched(send_welcome, count=2)
    jobs.assert_dispatched(send_welcome, args=("ada@example.com",), queue="mail")
    [vip] = jobs.assert_dispatched(send_welcome, queue="vip")
    assert vip.countdown == 30
    jobs.assert_not_dispatched(send_invoice)
    with pytest.raises(AssertionError, match=r"dispatched 3 time\(s\).*found 2"):
        jobs.assert_dispatched(send_welcome, count=3)
    with pytest.raises(AssertionError, match="send_welcome was dispatched 2 time"):
        jobs.assert_not_dispatched(send_welcome)
    with pytest.raises(AssertionError, match="expected no dispatch"):
        jobs.assert_nothing_dispatched()


def test_fake_jobs_records_send_task_and_runs_what_it_recorded() -> None:
    with fake_jobs() as jobs:
        send_invoice.dispatch(7)
        celery_app.send_task(send_welcome.name, args=["ops@example.com"], queue="mail")
        assert jobs.run_all() == [None, "welcome ops@example.com", "welcome billing@example.com"]
    # The invoice's own dispatch was recorded while running and ran too, in order.
    assert RAN == ["invoice 7", "ops@example.com", "billing@example.com"]
    jobs.assert_nothing_dispatched()


def test_the_fake_is_removed_afterwards() -> None:
    with fake_jobs() as jobs:
        pass
    jobs.assert_nothing_dispatched()
    send_welcome.dispatch("after@example.com")  # eager in the test settings: it runs
    assert RAN == ["after@example.com"]


@fake_jobs()
def test_fake_jobs_as_a_decorator() -> None:
    send_welcome.dispatch("decorated@example.com")
    assert RAN == []


def test_run_jobs_eagerly_whatever_the_settings_say() -> None:
    conf = celery_app.conf
    saved = (conf.task_always_eager, conf.broker_url)
    conf.task_always_eager, conf.broker_url = False, "redis://127.0.0.1:1/0"  # never reached
    try:
        with run_jobs_eagerly():
            result = send_welcome.dispatch("eager@example.com")
        assert conf.task_always_eager is False
    finally:
        conf.task_always_eager, conf.broker_url = saved
    assert result.get() == "welcome eager@example.com"
    assert RAN == ["eager@example.com"]
    assert JobRun.objects.get(task_id=result.id).state == JobState.SUCCESS
