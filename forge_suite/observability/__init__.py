"""Health probes, metrics, request ids, logs and errors.

Public API::

    from forge_suite.observability import get_request_id, bind_request_id, logging_config
    from forge_suite.observability import metrics        # record_job, record_mail, ...
    from forge_suite.observability import sentry         # sentry.init(...)
    # /health/, /health/ready, /health/live and /metrics:
    path("", include("forge_suite.observability.urls"))
"""

from __future__ import annotations

from forge_suite.observability.context import (
    bind_request_id,
    generate_request_id,
    get_request_id,
    valid_request_id,
)
from forge_suite.observability.logs import logging_config

__all__ = [
    "bind_request_id",
    "generate_request_id",
    "get_request_id",
    "logging_config",
    "valid_request_id",
]
