"""Settings of the real Celery worker the observability tests start."""

from __future__ import annotations

import os

from forge_suite.observability.logs import logging_config
from tests.settings import *  # noqa: F403

CELERY_BROKER_URL = os.environ["FORGE_OBS_BROKER_URL"]
CELERY_TASK_ALWAYS_EAGER = False
CELERY_TASK_DEFAULT_QUEUE = os.environ["FORGE_OBS_QUEUE"]
FORGE = {"OBSERVABILITY": {"TASK_METRICS": True}}
if os.environ.get("FORGE_OBS_OTLP_ENDPOINT"):  # test_otel.py: tracing on in the worker too
    FORGE["OBSERVABILITY"].update(
        OTLP_ENDPOINT=os.environ["FORGE_OBS_OTLP_ENDPOINT"], OTEL_SERVICE_NAME="forge-tests-worker"
    )
LOGGING = logging_config(json=True)

if os.environ.get("FORGE_OBS_SENTRY_DSN"):
    from forge_suite.observability import sentry

    sentry.init(
        os.environ["FORGE_OBS_SENTRY_DSN"], environment="worker-test", default_integrations=False
    )
