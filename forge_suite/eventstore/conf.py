"""Settings of event store: ``FORGE["EVENTSTORE"]``."""

from __future__ import annotations

from forge_suite.core.conf import AppSettings, Option
from forge_suite.core.validators import non_negative, positive

DEFAULTS: dict[str, Option] = {
    "NOTIFY": Option(
        True,
        bool,
        "On PostgreSQL, send NOTIFY on each append so live projections wake at once "
        "(they poll as well, so nothing is lost if it is off).",
    ),
    "NOTIFY_INTERVAL": Option(
        0.1,
        (int, float),
        "At most one NOTIFY per process and database per this many seconds (each one costs "
        "the writer a small extra transaction); a woken worker reads again this long after a "
        "wake-up, so an event whose NOTIFY was skipped waits no longer than this.",
        validator=non_negative,
    ),
    "NOTIFY_CHANNEL": Option("forge_eventstore", str, "PostgreSQL channel used for NOTIFY."),
    "POLL_INTERVAL": Option(
        1.0,
        (int, float),
        "Seconds between polls of live projections and the outbox.",
        validator=positive,
    ),
    "READ_BATCH": Option(
        1000, int, "Events read per batch by projections and catch-up readers.", validator=positive
    ),
    "OUTBOX_MAX_ATTEMPTS": Option(
        8, int, "Attempts before an outbox message is dead-lettered.", validator=positive
    ),
    "OUTBOX_BACKOFF": Option(
        5.0,
        (int, float),
        "Seconds before the first retry; each further retry waits twice as long (plus jitter).",
        validator=non_negative,
    ),
    "OUTBOX_BACKOFF_MAX": Option(
        6 * 3600.0,
        (int, float),
        "Longest wait between two attempts, in seconds.",
        validator=positive,
    ),
    "OUTBOX_LEASE": Option(
        300.0,
        (int, float),
        "Seconds a claimed message stays invisible to other dispatchers before it is retried "
        "(a dispatcher that dies mid-delivery is recovered after this).",
        validator=positive,
    ),
    "OUTBOX_BATCH": Option(100, int, "Messages claimed per dispatcher round.", validator=positive),
    "DISPATCH_ON_COMMIT": Option(
        True,
        bool,
        "Deliver queued listeners' messages right after the transaction commits (through a "
        "Celery task when a broker is configured, in-process when jobs are eager). The "
        "worker's outbox dispatcher delivers whatever this misses.",
    ),
    "WEBHOOK_TIMEOUT": Option(
        15.0, (int, float), "Seconds per webhook request.", validator=positive
    ),
    "WEBHOOK_ENDPOINTS": Option(
        {},
        dict,
        "Webhook endpoints defined in settings: {name: {'url': ..., 'secret': 'whsec_...'}}. "
        "Endpoints can also be created in the admin.",
    ),
    "PROJECTIONS": Option(
        [],
        (list, tuple),
        "Dotted paths of the Projector classes that `eventstore_worker` runs.",
        import_string=True,
    ),
    "RUN_IN_WORKER": Option(
        None,
        bool,
        "Run the eventstore loop (PROJECTIONS, outbox retries) in a thread of every Celery "
        "worker's main process (`manage.py worker`). None: when PROJECTIONS is set; False when "
        "`manage.py eventstore_worker` runs them instead.",
        nullable=True,
    ),
}

app_settings = AppSettings("EVENTSTORE", DEFAULTS)
