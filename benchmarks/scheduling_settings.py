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
#: FORGE_BENCH_METRICS=1: the forge worker also records Prometheus metrics, with the
#: observability app and the instrumented database of the example project as shipped.
METRICS = MODE == "forge" and os.environ.get("FORGE_BENCH_METRICS", "0") == "1"
if MODE == "forge":
    INSTALLED_APPS += ["forge_suite.scheduling"]
if METRICS:
    INSTALLED_APPS += ["django_prometheus", "forge_suite.observability"]

# Persistent connections, as in production (Celery closes them per task otherwise).
DATABASES = {
    "default": dj_database_url.parse(os.environ["FORGE_BENCH_DATABASE_URL"], conn_max_age=600)
}
if DATABASES["default"]["ENGINE"].endswith("sqlite3"):
    DATABASES["default"]["OPTIONS"] = {"timeout": 30}
if METRICS:
    from forge_suite.observability.prometheus import instrument_databases

    DATABASES = instrument_databases(DATABASES)

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
