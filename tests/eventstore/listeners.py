"""Module-level listeners for the outbox tests (queued listeners must be importable)."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from django.db import transaction

from forge_suite.eventstore import Event, once
from forge_suite.eventstore.listeners import Envelope

CALLS: list[tuple[str, object]] = []
FAILURES_LEFT = {"count": 0}


@dataclass(frozen=True)
class OrderPaid(Event, type_name="test.OrderPaid"):
    order_id: str
    amount: int = 0


def record_call(event: OrderPaid, envelope: Envelope) -> None:
    CALLS.append((event.order_id, envelope.event_id))


def flaky(event: OrderPaid, envelope: Envelope) -> None:
    if FAILURES_LEFT["count"] > 0:
        FAILURES_LEFT["count"] -= 1
        raise ConnectionError(f"receiver down (attempt {envelope.attempt})")
    CALLS.append((event.order_id, envelope.attempt))


def write_receipt(event: OrderPaid, envelope: Envelope) -> None:
    """Idempotent: appends one line per event to RECEIPT_FILE, however often it is delivered."""
    path = Path(os.environ["RECEIPT_FILE"])
    with path.with_suffix(".calls").open("a") as calls:
        calls.write(f"{envelope.event_id}\n")
    with transaction.atomic():
        if once("write_receipt", envelope.event_id):
            with path.open("a") as receipts:
                receipts.write(f"{event.order_id} {envelope.event_id}\n")
