"""A process killed with SIGKILL between commit and dispatch loses no queued delivery."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection

from forge_suite.eventstore.models import OutboxMessage, ProcessedMessage
from forge_suite.eventstore.outbox import redeliver

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]

ROOT = Path(__file__).resolve().parents[2]


def child_env(receipt: Path) -> dict[str, str]:
    """Environment that points a child process at this test's database."""
    env = {**os.environ, "RECEIPT_FILE": str(receipt), "DJANGO_SETTINGS_MODULE": "tests.settings"}
    if connection.vendor == "postgresql":
        db = settings.DATABASES["default"]
        env["FORGE_TEST_DB"] = "postgres"
        env["FORGE_TEST_DATABASE_URL"] = (
            f"postgres://{db['USER']}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"
        )
    else:
        env["FORGE_TEST_DB"] = "sqlite"
        env["FORGE_TEST_SQLITE_NAME"] = str(connection.settings_dict["NAME"])
    return env


def test_kill_between_commit_and_dispatch_then_worker_delivers_once(tmp_path: Path) -> None:
    receipt = tmp_path / "receipts.txt"
    env = child_env(receipt)
    child = subprocess.Popen(
        [sys.executable, "-m", "tests.eventstore.crash_child", "order-7"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert child.stdout is not None
        assert child.stdout.readline().strip() == "committed"
        child.send_signal(signal.SIGKILL)
        assert child.wait(10) == -signal.SIGKILL
    finally:
        if child.poll() is None:
            child.kill()
    message = OutboxMessage.objects.get()
    assert (message.status, message.attempts) == ("pending", 0)
    assert not receipt.exists()

    worker = [sys.executable, "-m", "django", "eventstore_worker", "--once", "-v", "0"]
    subprocess.run(worker, cwd=ROOT, env=env, check=True, timeout=60)
    message.refresh_from_db()
    assert message.status == "done"
    assert receipt.read_text().split() == ["order-7", str(message.event_id)]

    # At-least-once: the same message delivered again (a lost ack, an expired lease)...
    redeliver([message.pk])
    subprocess.run(worker, cwd=ROOT, env=env, check=True, timeout=60)
    calls = receipt.with_suffix(".calls").read_text().split()
    assert calls == [str(message.event_id)] * 2
    # ...and the idempotent handler acted once.
    assert len(receipt.read_text().splitlines()) == 1
    assert ProcessedMessage.objects.filter(handler="write_receipt").count() == 1
