from __future__ import annotations

from django.apps import AppConfig


class EventstoreConfig(AppConfig):
    name = "forge_suite.eventstore"
    label = "forge_eventstore"
    verbose_name = "Event store"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from forge_suite.core import checks as _core_checks  # noqa: F401  the FORGE checks
        from forge_suite.eventstore import (  # noqa: F401  registers settings, checks, actions
            checks,
            conf,
            listeners,
            observers,
            outbox,
            tasks,
            webhooks,
        )
        from forge_suite.eventstore.embedded import connect_worker_signals

        connect_worker_signals()
