"""Helpers for tests of code that reads the global order (projections, catch-up readers)."""

from __future__ import annotations

from forge_suite.eventstore.exceptions import EventStoreError
from forge_suite.eventstore.store import committed_horizon, wait_until_visible

__all__ = ["wait_until_readable"]


def wait_until_readable(timeout: float = 30.0, using: str = "default") -> None:
    """Block until every committed event is visible to global-order readers.

    On PostgreSQL readers wait for all older transactions of the whole server to end (see the
    docs); in a test that shares its server with other work, call this after committing and
    before asserting on a projection. Run it outside a transaction (``TransactionTestCase``).
    """
    if not wait_until_visible(committed_horizon(using), timeout, using):
        raise EventStoreError(
            f"events were not readable after {timeout}s: a transaction on the server "
            "holds the xmin horizon back (see pg_stat_activity)"
        )
