from __future__ import annotations

import os
import subprocess
import sys

import pytest
from celery import shared_task

from forge_suite.celery import app
from forge_suite.core.celery import get_celery_app, is_eager


@shared_task
def add(x: int, y: int) -> int:
    return x + y


def test_shared_tasks_bind_to_the_suite_app() -> None:
    assert get_celery_app() is app
    assert add.app is app


def test_tests_run_eagerly() -> None:
    assert is_eager()
    assert add.delay(2, 3).get(timeout=1) == 5


@pytest.mark.needs_apps("example_project.site")
def test_no_broker_means_eager_by_default() -> None:
    """A project that sets no CELERY_BROKER_URL runs tasks in-process (fresh interpreter)."""
    code = (
        "import django, os;"
        "os.environ['DJANGO_SETTINGS_MODULE']='example_project.settings';"
        "os.environ.pop('CELERY_BROKER_URL', None);"
        "django.setup();"
        "from forge_suite.celery import app;"
        "print(app.conf.task_always_eager, app.conf.task_eager_propagates)"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60
    )
    assert out.stdout.split() == ["True", "True"]


@pytest.mark.needs_apps("example_project.site")
def test_a_configured_broker_is_not_eager() -> None:
    code = (
        "import django, os;"
        "os.environ['DJANGO_SETTINGS_MODULE']='example_project.settings';"
        "os.environ['CELERY_BROKER_URL']='redis://127.0.0.1:6379/9';"
        "django.setup();"
        "from forge_suite.celery import app;"
        "print(app.conf.task_always_eager, app.conf.broker_url)"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60
    )
    assert out.stdout.split() == ["False", "redis://127.0.0.1:6379/9"]


def test_the_app_lives_in_core_and_celery_dash_a_still_finds_it() -> None:
    """``celery -A forge_suite.celery`` resolves the app defined in forge_suite.core.celery."""
    from celery.app.utils import find_app

    from forge_suite.core import celery as core_celery

    assert app is core_celery.app
    assert find_app("forge_suite.celery") is core_celery.app
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "tests.settings"}
    out = subprocess.run(
        [sys.executable, "-m", "celery", "-A", "forge_suite.celery", "report"],
        capture_output=True,
        text=True,
        timeout=120,
        env=env,
    )
    assert out.returncode == 0, out.stderr
    assert "celery.loaders.app.AppLoader" in out.stdout
