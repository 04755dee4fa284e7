"""Settings of the worker processes the mailer tests start (real Celery, real SMTP sink)."""

from __future__ import annotations

import os

from tests.settings import *  # noqa: F403
from tests.settings import DATABASES, TEMPLATES

DATABASES["default"]["NAME"] = os.environ["FORGE_WORKER_DB_NAME"]
if DATABASES["default"]["ENGINE"].endswith("sqlite3"):
    DATABASES["default"]["OPTIONS"] = {"timeout": 30}

TEMPLATES[0]["DIRS"] = [os.path.join(os.path.dirname(__file__), "templates")]

CELERY_BROKER_URL = os.environ["FORGE_WORKER_BROKER_URL"]
CELERY_TASK_ALWAYS_EAGER = False
CELERY_IMPORTS = ["forge_suite.mailer.tasks"]
CELERY_WORKER_HIJACK_ROOT_LOGGER = False
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_BROKER_TRANSPORT_OPTIONS = {
    "visibility_timeout": int(os.environ.get("FORGE_WORKER_VISIBILITY_TIMEOUT", "3600")),
    "unacked_restore_interval": 1,
    "unacked_restore_throttle": 1,
    # The kill test SIGKILLs a worker; if that lands during kombu's restore sweep (run every
    # second here) the sweep's mutex stays taken for unacked_mutex_expire seconds (5 minutes
    # by default) and nothing is redelivered meanwhile (as in tests/scheduling/worker_settings).
    "unacked_mutex_expire": 5,
}

FORGE = {
    "MAILER": {
        "MAILERS": {
            "smtp": {
                "BACKEND": "django.core.mail.backends.smtp.EmailBackend",
                "OPTIONS": {
                    "host": "127.0.0.1",
                    "port": int(os.environ["FORGE_WORKER_SMTP_PORT"]),
                    "timeout": 5,
                },
            }
        },
        "DEFAULT_MAILER": "smtp",
        "LEASE_SECONDS": float(os.environ.get("FORGE_WORKER_MAIL_LEASE", "60")),
        "QUEUE": os.environ.get("FORGE_WORKER_MAIL_QUEUE", ""),
    },
}
