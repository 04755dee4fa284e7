"""Settings of mailer: ``FORGE["MAILER"]``."""

from __future__ import annotations

from typing import Any

from forge_suite.core import validators
from forge_suite.core.conf import AppSettings, Option


def _mailers(value: Any) -> str | None:
    for alias, spec in value.items():
        if not isinstance(spec, dict) or not isinstance(spec.get("BACKEND", ""), str):
            return f"mailer {alias!r} must be a dict with a BACKEND path and optional OPTIONS"
        if not isinstance(spec.get("OPTIONS", {}), dict):
            return f"mailer {alias!r}: OPTIONS must be a dict"
    return None


DEFAULTS: dict[str, Option] = {
    "MAILERS": Option(
        {},
        dict,
        "Named mailers on Django < 6.1, shaped like Django 6.1's MAILERS setting "
        "({alias: {'BACKEND': ..., 'OPTIONS': {...}}}). 'default' falls back to EMAIL_BACKEND.",
        validator=_mailers,
    ),
    "DEFAULT_MAILER": Option("default", str, "Alias used when a message names no mailer."),
    "LAYOUT": Option("forge_mailer/layout.html", str, "Template wrapping every HTML mail."),
    "QUEUE": Option("", str, "Celery queue of the send jobs ('' = scheduling's default queue)."),
    "LEASE_SECONDS": Option(
        60.0,
        (int, float),
        "How long a worker owns a message it is sending; after that another worker may take "
        "it up again (and marks it resent).",
        validator=validators.positive,
    ),
    "MAX_ATTEMPTS": Option(
        5, int, "Attempts before a message is marked failed.", validator=validators.positive
    ),
    "BATCH_SIZE": Option(
        100, int, "Messages claimed at once by send_queued().", validator=validators.positive
    ),
    "CONNECTIONS": Option(
        4,
        int,
        "Parallel connections per mailer used by send_queued() and campaign batches.",
        validator=validators.positive,
    ),
    "BASE_URL": Option(
        "http://localhost:8000",
        str,
        "Absolute URL prefix of this site for unsubscribe, tracking and preference links.",
        validator=validators.url,
    ),
    "UNSUBSCRIBE_MAILTO": Option(
        None, str, "Optional mailto: address added to List-Unsubscribe.", nullable=True
    ),
    "TRACK_OPENS": Option(False, bool, "Add an open-tracking pixel to HTML mails."),
    "TRACK_CLICKS": Option(False, bool, "Rewrite links in HTML mails to signed click redirects."),
    "MESSAGE_ID_DOMAIN": Option(
        None, str, "Domain of generated Message-IDs (None = DNS name of this host).", nullable=True
    ),
    "CAMPAIGN_RATE": Option(
        None,
        str,
        "Rate limit of campaign sending per mailer, such as '600/m'.",
        nullable=True,
        validator=validators.rate,
    ),
    "BATCH_MERGE_TAGS": Option(
        {},
        dict,
        "More ESPs for campaign batch sends: anymail esp_name -> merge tag format, such as "
        "{'Brevo': '{{{{ params.{} }}}}'}.",
    ),
    "NOTIFICATION_DEDUP_SECONDS": Option(
        300.0,
        (int, float),
        "Window in which an identical notification is dropped (0 = no deduplication).",
        validator=validators.non_negative,
    ),
    "NOTIFICATION_MAX_ATTEMPTS": Option(
        3, int, "Attempts per notification channel before it fails.", validator=validators.positive
    ),
    "WEBHOOK_TIMEOUT": Option(
        15.0,
        (int, float),
        "Seconds before a notification webhook call times out.",
        validator=validators.positive,
    ),
}

app_settings = AppSettings("MAILER", DEFAULTS)
