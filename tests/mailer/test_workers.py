"""Queued mail through real Celery workers into a real SMTP sink: nothing lost, no racing
duplicates, and a worker killed with SIGKILL mid-run leaves only resent messages behind."""

from __future__ import annotations

import collections
import os
import signal
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from django.conf import settings
from django.test import override_settings

from forge_suite.mailer.models import OutboundEmail, Status
from forge_suite.mailer.tasks import deliver
from tests.mailer.mailables import Welcome
from tests.scheduling.conftest import broker, queue_name, start_worker, wait_for  # noqa: F401
from tests.support.smtp_sink import SmtpSink

pytestmark = [
    pytest.mark.slow,
    pytest.mark.redis,
    pytest.mark.django_db(transaction=True),
    # The workers are `manage.py worker` processes, a command of the scheduling app.
    pytest.mark.needs_apps("forge_suite.scheduling"),
]

#: Broker database reserved for the mailer tests.
BROKER = os.environ.get("FORGE_TEST_MAILER_BROKER", "redis://127.0.0.1:6379/12")
COUNT = int(os.environ.get("FORGE_TEST_MAILER_COUNT", "300"))
CONCURRENCY = 2


@pytest.fixture
def worker_env(smtp_sink: SmtpSink, queue_name: str) -> Iterator[dict[str, str]]:  # noqa: F811
    forge = {
        **settings.FORGE,
        "MAILER": {
            "MAILERS": {
                "smtp": {
                    "BACKEND": "django.core.mail.backends.smtp.EmailBackend",
                    "OPTIONS": {"host": "127.0.0.1", "port": smtp_sink.port},
                }
            },
            "DEFAULT_MAILER": "smtp",
            "QUEUE": queue_name,
        },
    }
    with override_settings(FORGE=forge):
        yield {
            "DJANGO_SETTINGS_MODULE": "tests.mailer.worker_settings",
            "FORGE_WORKER_SMTP_PORT": str(smtp_sink.port),
            "FORGE_WORKER_MAIL_LEASE": "4",
            "FORGE_WORKER_VISIBILITY_TIMEOUT": "6",
            "FORGE_WORKER_MAIL_QUEUE": queue_name,
        }


def _queue(count: int) -> list[OutboundEmail]:
    return [Welcome(name=f"n{i}").to(f"user{i}@example.com").queue() for i in range(count)]


def test_killed_worker_loses_nothing_and_only_its_in_flight_mails_are_resent(
    broker: Callable[[str], None],  # noqa: F811
    start_worker: Callable[..., Any],  # noqa: F811
    queue_name: str,  # noqa: F811
    smtp_sink: SmtpSink,
    worker_env: dict[str, str],
) -> None:
    broker(BROKER)
    rows = _queue(COUNT)
    expected = {r.message_id for r in rows}
    victim = start_worker(BROKER, queue_name, concurrency=CONCURRENCY, extra_env=worker_env)
    start_worker(BROKER, queue_name, concurrency=CONCURRENCY, extra_env=worker_env)

    wait_for(lambda: len(smtp_sink.messages) >= COUNT // 3, 120, "a third of the mail")
    victim.kill(signal.SIGKILL)

    wait_for(
        lambda: not OutboundEmail.objects.exclude(status=Status.SENT).exists(),
        180,
        "every message sent",
    )
    received = collections.Counter(smtp_sink.message_ids())
    assert set(received) == expected  # nothing lost, nothing foreign
    duplicated = {mid for mid, n in received.items() if n > 1}
    resent = set(OutboundEmail.objects.filter(resent=True).values_list("message_id", flat=True))
    assert duplicated <= resent  # a duplicate only where the killed worker was mid-send
    assert len(resent) <= CONCURRENCY
    assert all(n <= 2 for n in received.values())
    print(f"\n{COUNT} messages: {len(resent)} resent after the crash, {len(duplicated)} duplicated")


def test_two_live_workers_given_every_message_twice_send_each_exactly_once(
    broker: Callable[[str], None],  # noqa: F811
    start_worker: Callable[..., Any],  # noqa: F811
    queue_name: str,  # noqa: F811
    smtp_sink: SmtpSink,
    worker_env: dict[str, str],
) -> None:
    broker(BROKER)
    start_worker(BROKER, queue_name, concurrency=CONCURRENCY, extra_env=worker_env)
    start_worker(BROKER, queue_name, concurrency=CONCURRENCY, extra_env=worker_env)
    rows = _queue(100)
    for row in rows:  # a second job for every message, as a duplicated broker delivery would
        deliver.on_queue(queue_name).dispatch(row.pk)

    wait_for(
        lambda: not OutboundEmail.objects.exclude(status=Status.SENT).exists(),
        120,
        "every message sent",
    )
    received = collections.Counter(smtp_sink.message_ids())
    assert set(received) == {r.message_id for r in rows}
    assert max(received.values()) == 1
    assert not OutboundEmail.objects.filter(resent=True).exists()
