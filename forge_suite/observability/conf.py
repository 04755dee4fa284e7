"""Settings of observability: ``FORGE["OBSERVABILITY"]``."""

from __future__ import annotations

import ipaddress
from typing import Any

from forge_suite.core.conf import AppSettings, Option
from forge_suite.core.validators import non_negative, positive, url


def _networks(value: Any) -> str | None:
    for item in value:
        try:
            ipaddress.ip_network(str(item), strict=False)
        except ValueError:
            return f"{item!r} is not an IP address or network such as '10.0.0.0/8'"
    return None


def _components(value: Any) -> str | None:
    for item in value:
        if not isinstance(item, str) or not item:
            return f"expected component names such as 'mail' or 'storage:default', got {item!r}"
    return None


DEFAULTS: dict[str, Option] = {
    "HEALTH_TIMEOUT": Option(
        3.0,
        (int, float),
        "Seconds each health check may take before it counts as failed; checks run "
        "concurrently, so a probe answers within about this time.",
        validator=positive,
    ),
    "HEALTH_READY_CACHE": Option(
        1.0,
        (int, float),
        "Seconds a /health/ready result is reused, so a burst of probes runs the checks once; "
        "0 runs them on every probe. /health/ and manage.py health always run them.",
        validator=non_negative,
    ),
    "HEALTH_NON_CRITICAL": Option(
        ["celery", "mail"],
        (list, tuple),
        "Components (or component kinds such as 'storage') left out of /health/ready; on "
        "/health/ a failure of one of them makes the status 'warn' instead of 'fail'.",
        validator=_components,
    ),
    "HEALTH_SKIP": Option(
        ["storage:staticfiles"],
        (list, tuple),
        "Components (or kinds) never checked, e.g. the build-time staticfiles storage.",
        validator=_components,
    ),
    "HEALTH_EXTRA_CHECKS": Option(
        [],
        (list, tuple),
        "More django-health-check checks: dotted paths of HealthCheck classes, or "
        "(name, 'dotted.path', {options}) tuples; they count as critical.",
    ),
    "METRICS_TOKEN": Option(
        None,
        str,
        "Bearer token required on /metrics ('Authorization: Bearer <token>') from every "
        "address; None means access by address only.",
        nullable=True,
    ),
    "METRICS_ALLOWED_IPS": Option(
        None,
        (list, tuple),
        "Client addresses or networks (REMOTE_ADDR) allowed on /metrics; with METRICS_TOKEN "
        "they also need the token. None means loopback when DEBUG is on and nobody otherwise.",
        nullable=True,
        validator=_networks,
    ),
    "REQUEST_ID_HEADER": Option("X-Request-ID", str, "Header carrying the request id in and out."),
    "TRUST_REQUEST_ID": Option(
        True,
        bool,
        "Accept a valid incoming request id (set False when clients are not trusted, e.g. "
        "no proxy in front that sets it).",
    ),
    "REQUEST_ID_MAX_LENGTH": Option(
        128, int, "Longest incoming request id accepted.", validator=positive
    ),
    "ACCESS_LOG": Option(
        True,
        bool,
        "Log one 'request finished' line per request (method, path, status, duration, user).",
    ),
    "TASK_METRICS": Option(
        False,
        bool,
        "Record every Celery task in forge_jobs_total / forge_job_runtime_seconds through "
        "Celery signals (leave False when jobs already call metrics.record_job).",
    ),
    "SENTRY_DSN": Option(
        None, str, "Sentry DSN used by sentry.init() when none is passed.", nullable=True
    ),
    "SENTRY_RELEASE": Option(None, str, "Release name reported to Sentry.", nullable=True),
    "SENTRY_SAMPLE_RATE": Option(1.0, (int, float), "Share of error events sent (0-1)."),
    "SENTRY_TRACES_SAMPLE_RATE": Option(
        0.0, (int, float), "Share of transactions traced (0-1); 0 turns tracing off."
    ),
    "OTLP_ENDPOINT": Option(
        None,
        str,
        "OTLP/HTTP collector URL (e.g. http://127.0.0.1:4318); set, it turns OpenTelemetry "
        "tracing on (requests, jobs, broadcasts; the otel extra). None: trace context only.",
        nullable=True,
        validator=url,
    ),
    "OTLP_HEADERS": Option(
        None, dict, "Extra HTTP headers sent to the collector (an API key).", nullable=True
    ),
    "OTLP_TIMEOUT": Option(
        10.0, (int, float), "Seconds an export to the collector may take.", validator=positive
    ),
    "OTEL_SERVICE_NAME": Option(
        "django", str, "The service.name resource attribute of exported spans."
    ),
    "OTEL_SAMPLE_RATIO": Option(
        1.0,
        (int, float),
        "Share of new traces recorded (0-1); a continued trace follows its caller's decision.",
    ),
}

app_settings = AppSettings("OBSERVABILITY", DEFAULTS)
