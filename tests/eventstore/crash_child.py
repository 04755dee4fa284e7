"""Child process for the crash test: commits an order payment, then hangs before dispatch.

The parent kills it with SIGKILL after "committed" is printed: the transaction (with its outbox
row) is committed, but the after-commit delivery never ran.
"""

from __future__ import annotations

import os
import sys
import time

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tests.settings")

import django

django.setup()

from django.db import transaction  # noqa: E402

from forge_suite.eventstore import dispatch, listener  # noqa: E402
from tests.eventstore.listeners import OrderPaid, write_receipt  # noqa: E402

listener(OrderPaid, mode="queued")(write_receipt)


def hang() -> None:
    print("committed", flush=True)
    time.sleep(120)


with transaction.atomic():
    transaction.on_commit(hang)  # runs before the outbox's own after-commit delivery
    dispatch(OrderPaid(order_id=sys.argv[1], amount=10))
