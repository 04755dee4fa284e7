"""Revoking and terminating jobs from the admin, bounded in time like every publish."""

from __future__ import annotations

from kombu.exceptions import KombuError
from kombu.utils.url import maybe_sanitize_url

from forge_suite.celery import app as celery_app
from forge_suite.scheduling.conf import app_settings
from forge_suite.scheduling.exceptions import BrokerUnavailable, SchedulingError
from forge_suite.scheduling.publish import transport_options

__all__ = ["revoke_job"]


def revoke_job(task_id: str, *, terminate: bool = False) -> None:
    """Tell every worker to drop job ``task_id``; ``terminate`` also kills a running one
    (SIGKILL of the pool process running it: no clean-up code of the job runs).

    A terminated job's run is marked REVOKED in the history by the worker that ran it. A
    revoked job that is still queued is discarded by the worker that receives it. Raises
    BrokerUnavailable when the broker cannot be reached (nothing was sent).
    """
    if celery_app.conf.task_always_eager:
        raise SchedulingError("jobs run eagerly in-process (no broker): nothing to revoke")
    timeout = float(app_settings.PUBLISH_TIMEOUT)
    try:
        with celery_app.connection_for_write(
            connect_timeout=timeout, transport_options=transport_options(timeout)
        ) as connection:
            connection.ensure_connection(max_retries=1, timeout=max(1, round(timeout)))
            celery_app.control.revoke(
                task_id, connection=connection, terminate=terminate, signal="SIGKILL"
            )
    except (KombuError, OSError) as exc:
        url = maybe_sanitize_url(str(celery_app.conf.broker_url or ""))
        raise BrokerUnavailable(
            f"the broker at {url} is not reachable ({exc}): the job was not revoked."
        ) from exc
