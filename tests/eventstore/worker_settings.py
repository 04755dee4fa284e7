"""Settings of ``manage.py worker`` in the eventstore tests: the scheduling tests' worker
settings (test database, broker from the environment) with the order summary projection."""

from __future__ import annotations

from tests.scheduling.worker_settings import *  # noqa: F403
from tests.scheduling.worker_settings import FORGE

FORGE = {
    **FORGE,
    "EVENTSTORE": {
        "PROJECTIONS": ["example_project.orders.projections.OrderSummaryProjector"],
        "POLL_INTERVAL": 0.2,
    },
}
