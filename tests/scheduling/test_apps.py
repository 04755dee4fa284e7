"""The app wires its Celery signal handlers in ready(), whatever else is installed."""

from __future__ import annotations

import subprocess
import sys

from tests.scheduling.conftest import ROOT


def test_ready_connects_the_history_handlers_without_the_admin() -> None:
    code = (
        "import django; from django.conf import settings;"
        "settings.configure(INSTALLED_APPS=['django.contrib.contenttypes', 'django.contrib.auth',"
        "'django_celery_beat', 'forge_suite.core', 'forge_suite.scheduling'],"
        "DATABASES={'default': {'ENGINE': 'django.db.backends.sqlite3', 'NAME': ':memory:'}},"
        "USE_TZ=True);"
        "django.setup();"
        "from celery import signals;"
        "print(sorted(k[0] for s in (signals.task_prerun, signals.task_postrun,"
        " signals.task_failure) for k, _ in s.receivers))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True
    )
    handlers = result.stdout.strip()
    assert "forge_scheduling.prerun" in handlers
    assert "forge_scheduling.postrun" in handlers
    assert "forge_scheduling.failure" in handlers
