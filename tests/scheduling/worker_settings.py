"""Settings of the worker processes the scheduling tests start.

They share the test database of the pytest process (its name comes in
``FORGE_WORKER_DB_NAME``) and use the broker named in ``FORGE_WORKER_BROKER_URL``.
"""

from __future__ import annotations

import os

from tests.settings import *  # noqa: F403
from tests.settings import DATABASES, TEST_REDIS_URL

DATABASES["default"]["NAME"] = os.environ["FORGE_WORKER_DB_NAME"]
if DATABASES["default"]["ENGINE"].endswith("sqlite3"):
    DATABASES["default"]["OPTIONS"] = {"timeout": 30}

CELERY_BROKER_URL = os.environ["FORGE_WORKER_BROKER_URL"]
CELERY_TASK_ALWAYS_EAGER = False
CELERY_IMPORTS = ["tests.scheduling.jobs"]
CELERY_WORKER_HIJACK_ROOT_LOGGER = False
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# RabbitMQ queues declared with x-max-priority (priorities are ignored without it).
CELERY_TASK_QUEUE_MAX_PRIORITY = int(os.environ.get("FORGE_WORKER_QUEUE_MAX_PRIORITY", "0")) or None
CELERY_BROKER_TRANSPORT_OPTIONS = {
    # A worker killed mid-job gives its message back after this many seconds (Redis).
    "visibility_timeout": int(os.environ.get("FORGE_WORKER_VISIBILITY_TIMEOUT", "3600")),
    "unacked_restore_interval": 1,
    "unacked_restore_throttle": 1,
    # A worker SIGKILLed during a restore sweep leaves kombu's restore mutex behind until it
    # expires (5 minutes by default), and no worker restores anything meanwhile.
    "unacked_mutex_expire": 5,
}

FORGE = {
    "REDIS_URL": TEST_REDIS_URL,
    "SCHEDULING": {
        "LOCK_PREFIX": os.environ.get("FORGE_WORKER_LOCK_PREFIX", "forge-test:scheduling:"),
        "SCHEDULE_MODULES": ["tests.scheduling.schedule_fixture"],
        "AUTODISCOVER": False,
        "HEARTBEAT_INTERVAL": float(os.environ.get("FORGE_WORKER_HEARTBEAT_INTERVAL", "10")),
        "WORKER_LOST_AFTER": float(os.environ.get("FORGE_WORKER_LOST_AFTER", "60")),
    },
}

# Django's Tasks framework through the suite's backend (tests.scheduling.dtasks).
TASKS = {
    "default": {
        "BACKEND": "forge_suite.scheduling.tasks_backend.ForgeBackend",
        "OPTIONS": {"MAX_RETRIES": 1},
    }
}
