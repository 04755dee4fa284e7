"""Django settings of the scheduling benchmark's workers.

``FORGE_BENCH_MODE=forge`` installs forge_suite.scheduling (history on, through
``manage.py worker``); ``plain`` leaves it out, so the worker is plain Celery.
"""

from __future__ import annotations

import os

import dj_database_url

MODE = os.environ.get("FORGE_BENCH_MODE", "forge")

SECRET_KEY = "benchmark"
USE_TZ = True
TIME_ZONE = "UTC"
INSTALLED_APPS = [
    "django.contrib.contenttypes",
    "django.contrib.auth",
    "django_celery_beat",
    "forge_suite.core",
]
if MODE == "forge":
    # History only: the observability app's Prometheus metrics are a separate cost.
    INSTALLED_APPS += ["forge_suite.scheduling"]

# Persistent connections, as in production (Celery closes them per task otherwise).
DATABASES = {
    "default": dj_database_url.parse(os.environ["FORGE_BENCH_DATABASE_URL"], conn_max_age=600)
}
if DATABASES["default"]["ENGINE"].endswith("sqlite3"):
    DATABASES["default"]["OPTIONS"] = {"timeout": 30}

CELERY_BROKER_URL = os.environ["FORGE_BENCH_BROKER_URL"]
CELERY_TASK_ALWAYS_EAGER = False
CELERY_IMPORTS = ["benchmarks.scheduling_tasks"]
CELERY_WORKER_HIJACK_ROOT_LOGGER = False
FORGE: dict[str, object] = {
    "SCHEDULING": {
        "QUEUES": [],
        "AUTODISCOVER": False,
        # FORGE_BENCH_HISTORY=0 isolates the cost of the @job layer from the history's.
        "HISTORY": os.environ.get("FORGE_BENCH_HISTORY", "1") != "0",
    }
}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
