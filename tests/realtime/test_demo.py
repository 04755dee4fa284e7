"""The live chat demo: two headless Chromium pages, and the bot job on a real Celery worker."""

from __future__ import annotations

import contextlib
import json
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.realtime.harness import APP, ROOT
from tests.support.browser import chromium
from tests.support.servers import ServerProcess, free_port


@pytest.fixture
def example_site(tmp_path: Path) -> Iterator[str]:
    """The example project under ``manage.py runserver`` (daphne's, so WebSockets work)."""
    env = {**os.environ, "FORGE_DATA_DIR": str(tmp_path), "PYTHONUNBUFFERED": "1"}
    for name in ("DJANGO_SETTINGS_MODULE", "DATABASE_URL", "CELERY_BROKER_URL", "REDIS_URL"):
        env.pop(name, None)
    migrate = subprocess.run(
        [sys.executable, "manage.py", "migrate", "-v0"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert migrate.returncode == 0, migrate.stderr
    port = free_port()
    server = ServerProcess(
        "",
        env,
        command=[sys.executable, "manage.py", "runserver", f"127.0.0.1:{port}", "--noreload"],
        port=port,
        timeout=60,
        inherit_env=False,
    )
    try:
        yield server.url
    finally:
        server.stop()


def wait_text(driver: Any, css: str, text: str, timeout: float = 15) -> None:
    from selenium.webdriver.common.by import By

    deadline = time.monotonic() + timeout
    seen = ""
    while time.monotonic() < deadline:
        seen = driver.find_element(By.CSS_SELECTOR, css).text
        if text in seen:
            return
        time.sleep(0.1)
    raise AssertionError(f"{css} never contained {text!r}; last text: {seen!r}")


def online(driver: Any) -> list[str]:
    from selenium.webdriver.common.by import By

    return [li.text for li in driver.find_elements(By.CSS_SELECTOR, "#online li")]


def join(driver: Any, base: str, name: str) -> None:
    from selenium.webdriver.common.by import By

    driver.get(f"{base}/livechat/")
    driver.find_element(By.ID, "name").send_keys(name)
    driver.find_element(By.ID, "join").click()
    wait_text(driver, "#status", "connected")
    wait_text(driver, "#online", name)


@pytest.mark.browser
@pytest.mark.slow
def test_two_pages_see_each_others_messages_presence_and_typing(example_site: str) -> None:
    from selenium.webdriver.common.by import By

    ann, ben = chromium(), chromium()
    try:
        join(ann, example_site, "Ann")
        join(ben, example_site, "Ben")
        wait_text(ann, "#online", "Ben")
        assert sorted(online(ann)) == sorted(online(ben)) == ["Ann", "Ben"]

        box = ann.find_element(By.ID, "message-input")
        box.send_keys("hello from Ann")
        wait_text(ben, "#typing", "Ann is typing")
        ann.find_element(By.ID, "send").click()
        wait_text(ben, "#messages", "hello from Ann")
        wait_text(ann, "#messages", "hello from Ann")
        # to_others: Ann's page shows her message once (local), not a second time.
        time.sleep(0.5)
        assert ann.find_element(By.ID, "messages").text.count("hello from Ann") == 1

        ben.find_element(By.ID, "bot").click()
        for driver in (ann, ben):
            wait_text(driver, "#messages", "Hello Ben, this came from a Celery job.")

        ben.quit()
        deadline = time.monotonic() + 15
        while online(ann) != ["Ann"] and time.monotonic() < deadline:
            time.sleep(0.1)
        assert online(ann) == ["Ann"]
    finally:
        ann.quit()
        with contextlib.suppress(Exception):  # already closed above
            ben.quit()


@pytest.mark.redis
@pytest.mark.slow
def test_bot_job_on_a_real_celery_worker_broadcasts_to_clients(
    redis_servers: Any, realtime_redis_url: str, run_prefix: str, node: Any, tmp_path: Path
) -> None:
    from celery import Celery

    server = redis_servers({"CHANNEL_MODULES": ["example_project.livechat.channels"]})
    queue = f"{run_prefix}-jobs"
    env = {
        **os.environ,
        "PYTHONPATH": str(ROOT),
        "DJANGO_SETTINGS_MODULE": "tests.realtime.server_settings",
        "FORGE_RT_REDIS_URL": realtime_redis_url,
        "FORGE_RT_PREFIX": run_prefix,
        "FORGE_RT_CELERY_BROKER": realtime_redis_url,
        "FORGE_RT_REALTIME": json.dumps({"APPS": [APP]}),
    }
    log = (tmp_path / "worker.log").open("w")
    worker = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "forge_suite.celery",
            "worker",
            "--pool",
            "solo",
            "-Q",
            queue,
            "-I",
            "example_project.livechat.tasks",
            "--without-gossip",
            "--without-mingle",
            "--without-heartbeat",
            "-l",
            "INFO",
        ],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    sender = Celery(broker=realtime_redis_url)
    try:
        sign = {
            "key": APP["key"],
            "secret": APP["secret"],
            "user_id": "1",
            "user_info": {"name": "Ann"},
        }
        node.connect("ann", server, sign=sign)
        node.send(cmd="subscribe", id="ann", channel="presence-chat.lobby")
        node.event("ann", "pusher:subscription_succeeded", "presence-chat.lobby")
        sender.send_task("livechat.bot_reply", args=["lobby", "Ann"], queue=queue)
        got = node.event("ann", "message", "presence-chat.lobby", timeout=60)
        assert got["data"] == {"user": "Bot", "text": "Hello Ann, this came from a Celery job."}
        # It ran on the worker process, not eagerly here.
        deadline = time.monotonic() + 15
        while "succeeded" not in (tmp_path / "worker.log").read_text():
            assert time.monotonic() < deadline, (tmp_path / "worker.log").read_text()
            time.sleep(0.2)
    finally:
        sender.close()
        worker.terminate()
        worker.wait(30)
        log.close()
