"""Helpers around the shared Celery app."""

from __future__ import annotations

from celery import Celery


def get_celery_app() -> Celery:
    """The suite's Celery application (``forge_suite.celery.app``)."""
    from forge_suite.celery import app

    return app


def is_eager() -> bool:
    """True when tasks run in-process (no broker configured)."""
    return bool(get_celery_app().conf.task_always_eager)
