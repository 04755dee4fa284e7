"""Errors raised by forge_suite.scheduling."""

from __future__ import annotations

from forge_suite.core.exceptions import ForgeError


class SchedulingError(ForgeError):
    """Base class of every error raised by forge_suite.scheduling."""


class InvalidSchedule(SchedulingError, ValueError):
    """A schedule definition is wrong (bad cron field, time, timezone, duplicate name)."""


class UnknownScheduledEvent(SchedulingError, LookupError):
    """No event with that name is defined in any schedule module."""


class InvalidJob(SchedulingError, ValueError):
    """A job was declared or dispatched with wrong options (unknown priority, bad delay)."""


class FailedJobNotFound(SchedulingError, LookupError):
    """No FailedJob with that id."""


class BrokerNotConfigured(SchedulingError, RuntimeError):
    """A worker was asked for but no ``CELERY_BROKER_URL`` is set (jobs run eagerly)."""


class BrokerUnavailable(SchedulingError, ConnectionError):
    """The broker could not be reached (or did not answer) in ``PUBLISH_TIMEOUT`` seconds;
    nothing was sent."""


class UnknownTask(SchedulingError, LookupError):
    """The task named by a failed job or an event is not registered in this project."""
