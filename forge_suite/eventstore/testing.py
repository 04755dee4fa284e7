"""Helpers for tests of code that reads the global order (projections, catch-up readers)."""

from __future__ import annotations

import time

from django.db import connections

from forge_suite.eventstore.exceptions import EventStoreError

__all__ = ["wait_until_readable"]


def wait_until_readable(timeout: float = 30.0, using: str = "default") -> None:
    """Block until every committed event is visible to global-order readers.

    On PostgreSQL readers wait for all older transactions of the whole server to end (see the
    docs); in a test that shares its server with other work, call this after committing and
    before asserting on a projection. Run it outside a transaction (``TransactionTestCase``).
    """
    connection = connections[using]
    if connection.vendor != "postgresql":
        return
    from forge_suite.eventstore.models import StoredEvent

    table = StoredEvent._meta.db_table
    deadline = time.monotonic() + timeout
    while True:
        with connection.cursor() as cursor:
            cursor.execute(
                f"SELECT COALESCE(MAX(transaction_id), 0) < "
                f"pg_snapshot_xmin(pg_current_snapshot())::text::bigint FROM {table}"
            )
            if cursor.fetchone()[0]:
                return
        if time.monotonic() > deadline:
            raise EventStoreError(
                f"events were not readable after {timeout}s: a transaction on the server "
                "holds the xmin horizon back (see pg_stat_activity)"
            )
        time.sleep(0.02)
