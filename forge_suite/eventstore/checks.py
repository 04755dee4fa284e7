"""System checks of forge_suite.eventstore."""

from __future__ import annotations

from typing import Any

from django.core.checks import CheckMessage, Error, Warning, register
from django.db import connections


@register()
def check_database(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    """The gap-free global order is proven on PostgreSQL (>= 13) and SQLite only."""
    connection = connections["default"]
    if connection.vendor in {"postgresql", "sqlite"}:
        return []
    return [
        Warning(
            f"forge_suite.eventstore has no gap-free global-order reader for {connection.vendor}.",
            hint="Use PostgreSQL 13+ (transaction-id snapshot filter) or SQLite; on other "
            "databases projections may skip events that commit late.",
            id="forge_eventstore.W001",
        )
    ]


@register()
def check_webhook_endpoints(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    """Endpoints in settings need a URL and a whsec_ secret."""
    from forge_suite.eventstore.conf import app_settings
    from forge_suite.eventstore.exceptions import WebhookError
    from forge_suite.eventstore.webhooks import secret_bytes

    errors: list[CheckMessage] = []
    for name, conf in (app_settings.WEBHOOK_ENDPOINTS or {}).items():
        where = f"FORGE['EVENTSTORE']['WEBHOOK_ENDPOINTS'][{name!r}]"
        if not isinstance(conf, dict) or not str(conf.get("url", "")).startswith(
            ("http://", "https://")
        ):
            errors.append(
                Error(
                    f"{where} needs a 'url' starting with http:// or https://.",
                    hint="Give each endpoint {'url': 'https://...', 'secret': 'whsec_...'}.",
                    id="forge_eventstore.E001",
                )
            )
            continue
        try:
            secret_bytes(str(conf.get("secret", "")))
            ok = bool(conf.get("secret"))
        except WebhookError:
            ok = False
        if not ok:
            errors.append(
                Error(
                    f"{where} needs a 'secret' of the form whsec_<base64>.",
                    hint="Generate one with forge_suite.eventstore.webhooks.generate_secret().",
                    id="forge_eventstore.E002",
                )
            )
    return errors
