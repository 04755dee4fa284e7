"""A broker that is down or hangs: clear errors, bounded time, nothing changed."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from io import StringIO
from typing import Any

import pytest
from django.contrib import messages
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command
from django.test import Client, override_settings
from django.urls import reverse

from forge_suite.scheduling.exceptions import BrokerUnavailable, UnknownTask
from forge_suite.scheduling.failed import retry_failed
from forge_suite.scheduling.models import FailedJob
from tests.scheduling.conftest import REDIS_BROKER
from tests.scheduling.test_dashboard import repairable
from tests.support.sockets import HangingServer

pytestmark = pytest.mark.django_db

#: Nothing listens on port 1 of loopback: the connection is refused at once.
DEAD_REDIS = "redis://127.0.0.1:1/0"
DEAD_AMQP = "amqp://guest:guest@127.0.0.1:1//"


def failed_job(task_name: str | None = None) -> FailedJob:
    return FailedJob.objects.create(
        task_name=task_name or repairable.name,
        task_id="f-1",
        queue="default",
        args=[21],
        exception="ValueError: broke",
    )


def assert_unchanged(failed: FailedJob) -> None:
    failed.refresh_from_db()
    assert failed.retry_count == 0
    assert failed.retried_at is None
    assert failed.retry_task_id == ""


@pytest.mark.parametrize("url", [DEAD_REDIS, DEAD_AMQP], ids=["redis", "amqp"])
def test_jobs_retry_with_the_broker_down_is_a_command_error_and_changes_nothing(
    broker: Callable[[str], None], url: str
) -> None:
    broker(url)
    failed = failed_job()
    with pytest.raises(CommandError, match=r"is not reachable .*nothing was sent or changed"):
        call_command("jobs_retry", str(failed.pk), stdout=StringIO(), stderr=StringIO())
    assert_unchanged(failed)


def test_jobs_retry_all_stops_at_the_first_unreachable_broker(
    broker: Callable[[str], None],
) -> None:
    broker(DEAD_REDIS)
    first, second = failed_job(), failed_job()
    with pytest.raises(CommandError, match=r"0 of 2 failed jobs were dispatched"):
        call_command("jobs_retry", "--all", stdout=StringIO(), stderr=StringIO())
    assert_unchanged(first)
    assert_unchanged(second)


def test_schedule_run_on_worker_with_the_broker_down_is_a_command_error(
    broker: Callable[[str], None],
) -> None:
    broker(DEAD_REDIS)
    with pytest.raises(CommandError, match=r"127\.0\.0\.1:1.* is not reachable"):
        call_command("schedule_run", "housekeeping.digest", "--on-worker", stdout=StringIO())


@pytest.fixture
def hanging_server() -> Iterator[HangingServer]:
    server = HangingServer()
    yield server
    server.close()


# Without a socket timeout the publish waits for the silent server forever: the test's
# timeout turns that hang into a failure.
@pytest.mark.timeout(60)
def test_a_broker_that_never_answers_is_given_up_on_after_the_publish_timeout(
    broker: Callable[[str], None], hanging_server: HangingServer
) -> None:
    broker(f"redis://127.0.0.1:{hanging_server.port}/0")
    failed = failed_job()
    with (
        override_settings(FORGE={"SCHEDULING": {"PUBLISH_TIMEOUT": 0.5}}),
        pytest.raises(BrokerUnavailable, match="is not reachable"),
    ):
        retry_failed(failed.pk)
    assert_unchanged(failed)


@pytest.fixture
def admin_client(db: Any) -> Client:
    user = get_user_model().objects.create_superuser("boss", "boss@example.com", "pw")
    client = Client()
    client.force_login(user)
    return client


def _messages(response: Any) -> list[tuple[int, str]]:
    return [(m.level, str(m)) for m in response.context["messages"]]


def test_dashboard_retry_with_the_broker_down_shows_an_error_message(
    broker: Callable[[str], None], admin_client: Client
) -> None:
    broker(DEAD_REDIS)
    failed = failed_job()
    response = admin_client.post(
        reverse("admin:forge_scheduling_dashboard_retry", args=[failed.pk]), follow=True
    )
    assert response.status_code == 200
    [(level, text)] = _messages(response)
    assert level == messages.ERROR
    assert "is not reachable" in text
    assert_unchanged(failed)


def test_admin_retry_action_with_the_broker_down_shows_an_error_message(
    broker: Callable[[str], None], admin_client: Client
) -> None:
    broker(DEAD_REDIS)
    failed = failed_job()
    response = admin_client.post(
        reverse("admin:forge_scheduling_failedjob_changelist"),
        {"action": "retry_selected", "_selected_action": [failed.pk]},
        follow=True,
    )
    assert response.status_code == 200
    [(level, text)] = _messages(response)
    assert level == messages.ERROR
    assert "is not reachable" in text
    assert_unchanged(failed)


@pytest.mark.redis
def test_retrying_a_job_whose_task_is_gone_is_refused(broker: Callable[[str], None]) -> None:
    broker(REDIS_BROKER)  # a live broker would accept the message; the worker would drop it
    failed = failed_job("shop.tasks.renamed_long_ago")
    with pytest.raises(UnknownTask, match=r"'shop\.tasks\.renamed_long_ago' is not registered"):
        retry_failed(failed)
    with pytest.raises(CommandError, match="1 of 1 failed jobs could not be retried"):
        call_command("jobs_retry", str(failed.pk), stdout=StringIO(), stderr=StringIO())
    assert_unchanged(failed)


@pytest.mark.needs_apps("forge_suite.api")
@pytest.mark.parametrize("state", ["down", "hangs"])
def test_api_retry_with_the_broker_down_or_hanging_is_a_503_and_changes_nothing(
    broker: Callable[[str], None], hanging_server: HangingServer, state: str
) -> None:
    from tests.support.oauth import bearer

    port = hanging_server.port if state == "hangs" else 1
    broker(f"redis://127.0.0.1:{port}/0")
    failed = failed_job()
    root = get_user_model().objects.create_superuser("root", "root@example.com", "pw")
    with override_settings(FORGE={"SCHEDULING": {"PUBLISH_TIMEOUT": 0.5}}):
        response = Client().post(
            f"/api/v1/jobs/failed/{failed.pk}/retry/", headers=bearer("jobs:write", root)
        )
    assert response.status_code == 503, response.content
    assert "nothing" in response.json()["detail"]
    assert response["Retry-After"] == "5"
    assert_unchanged(failed)
