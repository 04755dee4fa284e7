"""Sending a task from a command or the admin: bounded in time, with a clear error.

Celery's own publish retries a refused connection a few times and then raises kombu's
``OperationalError``; against a broker that accepts the connection and never answers (a
half-open connection, a stopped VM) it waits forever on Redis. The commands and admin
actions of this app publish through :func:`send_task` instead: one connection with
``PUBLISH_TIMEOUT`` as the connect and socket timeouts, a short retry policy, and any failure
turned into :class:`~forge_suite.scheduling.exceptions.BrokerUnavailable` before anything
else was changed.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from celery.result import AsyncResult
from kombu.exceptions import KombuError
from kombu.utils.url import maybe_sanitize_url

from forge_suite.celery import app as celery_app
from forge_suite.scheduling.conf import app_settings
from forge_suite.scheduling.exceptions import BrokerUnavailable, UnknownTask

__all__ = ["require_registered", "send_task", "transport_options"]


def transport_options(timeout: float) -> dict[str, Any]:
    """Transport options that bound every socket operation by ``timeout`` seconds.

    Redis reads ``socket_timeout``/``socket_connect_timeout``; py-amqp uses the connection's
    ``connect_timeout`` and ``read_timeout``/``write_timeout``. Each transport ignores the others.
    """
    return {
        "socket_timeout": timeout,
        "socket_connect_timeout": timeout,
        "read_timeout": timeout,
        "write_timeout": timeout,
        # Connection.default_channel retries with these (kombu's default: forever).
        "max_retries": 1,
        "interval_start": 0,
        "interval_step": 0.5,
        "interval_max": 0.5,
    }


def require_registered(task_name: str) -> None:
    """Raise UnknownTask unless ``task_name`` is a task this project defines.

    A message for an unknown task is accepted by the broker and then dropped by the worker
    ("Received unregistered task"), so it is refused before it is sent.
    """
    celery_app.loader.import_default_modules()
    if task_name not in celery_app.tasks:
        raise UnknownTask(
            f"task {task_name!r} is not registered in this project (renamed or removed?): "
            "nothing was sent. Restore the task, or forget the failed job."
        )


def send_task(
    name: str,
    args: Iterable[Any] = (),
    kwargs: dict[str, Any] | None = None,
    **options: Any,
) -> AsyncResult[Any]:
    """Publish task ``name``; raise BrokerUnavailable within about ``PUBLISH_TIMEOUT`` x 2 s."""
    timeout = float(app_settings.PUBLISH_TIMEOUT)
    url = maybe_sanitize_url(str(celery_app.conf.broker_url or ""))
    try:
        with celery_app.connection_for_write(
            connect_timeout=timeout, transport_options=transport_options(timeout)
        ) as connection:
            connection.ensure_connection(max_retries=1, timeout=max(1, round(timeout)))
            return celery_app.send_task(
                name,
                args=list(args),
                kwargs=kwargs or {},
                connection=connection,
                retry=True,
                retry_policy={
                    "max_retries": 1,
                    "interval_start": 0,
                    "interval_step": 0.5,
                    "interval_max": 0.5,
                },
                **options,
            )
    except (KombuError, OSError) as exc:
        raise BrokerUnavailable(
            f"the broker at {url} is not reachable ({exc}): nothing was sent or changed. "
            "Start the broker (or check CELERY_BROKER_URL) and try again."
        ) from exc
