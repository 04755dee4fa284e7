"""Settings of the test project served with OpenTelemetry tracing on (test_otel.py)."""

from __future__ import annotations

import os

from forge_suite.observability.logs import logging_config
from tests.observability import conftest
from tests.settings import *  # noqa: F403

ROOT_URLCONF = "tests.observability.urls"
MIDDLEWARE = conftest.MIDDLEWARE
CELERY_BROKER_URL = os.environ["FORGE_OBS_BROKER_URL"]
CELERY_TASK_ALWAYS_EAGER = False
FORGE = {
    "OBSERVABILITY": {
        "OTLP_ENDPOINT": os.environ["FORGE_OBS_OTLP_ENDPOINT"],
        "OTEL_SERVICE_NAME": os.environ.get("FORGE_OBS_SERVICE", "forge-tests-web"),
    }
}
LOGGING = logging_config(json=True)
