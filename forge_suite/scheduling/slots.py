"""At most one run of a scheduled event per due time ("slot"), also across a beat crash.

django-celery-beat writes an entry's ``last_run_at`` to the database only every few minutes
(``beat_sync_every``/``sync_every``): a beat killed after sending an event restarts with the
old value and sends the event again. The runner therefore claims the slot before dispatching:

- the slot of a cron event is its latest due time at or before the moment beat sent the
  message (the ``forge_enqueued_at`` header; the runner's clock when absent);
- the slot of an ``every(...)`` event is the interval-aligned bucket holding that moment.

With ``FORGE["REDIS_URL"]`` the claim is ``SET <prefix>slot:<event>:<slot> NX EX <ttl>``;
otherwise a :class:`~forge_suite.scheduling.models.ScheduleSlot` row under a unique
constraint. A second message for a claimed slot is skipped ("slot already ran").
"""

from __future__ import annotations

import datetime as dt
from typing import Protocol

from django.db import IntegrityError, transaction

from forge_suite.core.redis import redis_configured
from forge_suite.scheduling.conf import app_settings
from forge_suite.scheduling.locks import ExpiringLock


class Event(Protocol):
    """What a slot needs of a scheduled event (:class:`.scheduler.Event` provides it)."""

    name: str
    interval: dt.timedelta | None

    def next_run(self, now: dt.datetime | None = None) -> dt.datetime: ...


__all__ = ["claim_slot", "slot_of"]

_EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)
_LOOKBACK = (60, 3600, 86400, 32 * 86400, 367 * 86400)
_MAX_TTL = 35 * 86400


def slot_of(event: Event, at: dt.datetime) -> tuple[dt.datetime, dt.timedelta] | None:
    """The slot holding ``at`` and the period until the next one (None: no due time found)."""
    at = at.astimezone(dt.UTC)
    if event.interval is not None:
        seconds = event.interval.total_seconds()
        index = (at - _EPOCH).total_seconds() // seconds
        return _EPOCH + dt.timedelta(seconds=index * seconds), event.interval
    for back in _LOOKBACK:
        candidate = event.next_run(at - dt.timedelta(seconds=back))
        if candidate > at:
            continue
        while True:
            following = event.next_run(candidate)
            if following > at:
                return candidate.astimezone(dt.UTC), following - candidate
            candidate = following
    return None


def claim_slot(event: Event, at: dt.datetime) -> bool:
    """Claim the slot of ``event`` holding ``at``; False when it was claimed before."""
    found = slot_of(event, at)
    if found is None:
        return True
    slot, period = found
    if redis_configured():
        # Long enough to outlive any beat restart; the slot time in the key keeps the next
        # slot free whatever the expiry.
        ttl = int(min(_MAX_TTL, max(app_settings.DEFAULT_LOCK_EXPIRES, 2 * period.total_seconds())))
        lock = ExpiringLock(f"slot:{event.name}:{slot:%Y%m%dT%H%M%S}", ttl)
        claimed = lock.acquire()
        lock.acquired = False  # the marker stays until it expires
        return claimed
    from forge_suite.scheduling.models import ScheduleSlot

    try:
        with transaction.atomic():
            ScheduleSlot.objects.create(event=event.name, slot=slot)
    except IntegrityError:
        return False
    return True
