"""The Celery application shared by every Forge Suite app, and helpers around it.

Configured from Django settings with the ``CELERY_`` namespace. When no broker is configured
(``CELERY_BROKER_URL`` unset) tasks run eagerly in-process, so a project works with nothing
installed; set a broker URL to use real workers (``manage.py worker`` once scheduling is in).

``forge_suite.celery`` re-exports :data:`app`, so a worker still starts with
``DJANGO_SETTINGS_MODULE=... celery -A forge_suite.celery worker``.
"""

from __future__ import annotations

from typing import Any

from celery import Celery

__all__ = ["app", "get_celery_app", "is_eager"]

#: The suite's Celery application; ``@shared_task`` functions bind to it.
app = Celery("forge_suite")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@app.on_after_configure.connect
def _embedded_default(sender: Celery, source: Any = None, **kwargs: Any) -> None:
    """Fall back to eager execution when the project configured no broker."""
    from django.conf import settings

    if getattr(settings, "CELERY_BROKER_URL", None) is None and not hasattr(
        settings, "CELERY_TASK_ALWAYS_EAGER"
    ):
        sender.conf.task_always_eager = True
        sender.conf.task_eager_propagates = True


def get_celery_app() -> Celery:
    """The suite's Celery application (also importable as ``forge_suite.celery.app``)."""
    return app


def is_eager() -> bool:
    """True when tasks run in-process (no broker configured)."""
    return bool(app.conf.task_always_eager)
