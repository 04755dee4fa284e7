"""The jobs dashboard in headless Chromium: log into the admin, read it, retry a failure."""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.utils import timezone

from forge_suite.scheduling.models import FailedJob, JobRun, JobState, WorkerHeartbeat
from tests.scheduling.test_dashboard import seed

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.django_db(transaction=True)]


def test_admin_dashboard_shows_queues_tasks_failures_and_schedules(
    live_server: Any, browser: Any
) -> None:
    from selenium.webdriver.common.by import By

    get_user_model().objects.create_superuser("boss", "boss@example.com", "s3cret-pass")
    failed = seed()
    now = timezone.now()
    JobRun.objects.create(
        task_name="shop.tasks.export",
        task_id="live-1",
        queue="default",
        worker="w1@host",
        state=JobState.STARTED,
        started_at=now,
    )
    WorkerHeartbeat.objects.create(
        hostname="w1@host", queues="default", concurrency=2, started_at=now, last_seen=now
    )

    browser.get(f"{live_server.url}/admin/login/")
    browser.find_element(By.NAME, "username").send_keys("boss")
    browser.find_element(By.NAME, "password").send_keys("s3cret-pass")
    browser.find_element(By.CSS_SELECTOR, "input[type=submit]").click()
    browser.find_element(By.ID, "user-tools")  # logged in

    browser.get(f"{live_server.url}/admin/forge_scheduling/jobrun/")
    browser.find_element(By.CSS_SELECTOR, '.object-tools a[href$="/jobrun/dashboard/"]').click()
    assert "Jobs dashboard" in browser.title

    assert browser.find_element(By.ID, "total-runs").text == "11"  # 10 seeded + 1 running
    assert browser.find_element(By.ID, "total-failures").text == "2"
    high = browser.find_element(By.CSS_SELECTOR, '#queues tr[data-queue="high"]')
    assert high.find_element(By.CSS_SELECTOR, ".runs").text == "10"
    assert high.find_element(By.CSS_SELECTOR, ".failures").text == "2"
    assert high.find_element(By.CSS_SELECTOR, ".depth").text == "—"  # eager: no broker
    assert browser.find_element(By.ID, "eager-note").is_displayed()
    task = browser.find_element(By.CSS_SELECTOR, '#tasks tr[data-task="shop.tasks.send_invoice"]')
    assert "0.500 / 1.000" in task.text  # runtime p50 / p95
    digest = browser.find_element(
        By.CSS_SELECTOR, '#schedules tr[data-schedule="housekeeping.digest"]'
    )
    assert "Europe/Paris" in digest.text
    assert "CET" in digest.find_element(By.CSS_SELECTOR, ".next").text or "CEST" in digest.text

    # Charts drawn on the server: one bar per time bucket, no script involved.
    for chart in ("chart-throughput", "chart-runtime", "chart-failures"):
        svg = browser.find_element(By.ID, chart)
        assert svg.is_displayed()
        assert len(svg.find_elements(By.CSS_SELECTOR, "rect.bar")) == 30
    # Live view: the running job with its revoke/terminate buttons, and the worker running it.
    running = browser.find_element(By.CSS_SELECTOR, '#running tr[data-task-id="live-1"]')
    assert "shop.tasks.export" in running.text
    assert running.find_element(By.CSS_SELECTOR, "input.terminate").is_displayed()
    worker = browser.find_element(By.CSS_SELECTOR, '#workers tr[data-worker="w1@host"]')
    assert worker.find_element(By.CSS_SELECTOR, ".status").text == "online"
    assert worker.find_element(By.CSS_SELECTOR, ".running").text == "1"
    running.find_element(By.CSS_SELECTOR, "input.revoke").click()
    error = browser.find_element(By.CSS_SELECTOR, "ul.messagelist li.error").text
    assert "nothing to revoke" in error  # eager mode: no broker, no worker to tell

    row = browser.find_element(By.CSS_SELECTOR, f'#failed tr[data-failed="{failed.pk}"]')
    assert "repairable broke" in row.text
    row.find_element(By.CSS_SELECTOR, "input.retry").click()
    message = browser.find_element(By.CSS_SELECTOR, "ul.messagelist li.success").text
    assert f"Failed job {failed.pk}" in message
    row = browser.find_element(By.CSS_SELECTOR, f'#failed tr[data-failed="{failed.pk}"]')
    assert row.find_element(By.CSS_SELECTOR, ".retried").text == "1"
    assert JobRun.objects.filter(retry_of=failed, state=JobState.SUCCESS).exists()
    assert FailedJob.objects.get(pk=failed.pk).retry_count == 1
