"""Benchmark: forge_suite.eventstore against ``eventsourcing`` 9.5 on PostgreSQL, in one run.

Both write to the same PostgreSQL server (a scratch database, recreated per run), the same
event bodies (about 100 bytes of JSON), through their own write paths:

* single-event commits/s: one writer, one event per transaction (expected version checked);
* 100-event batches: events/s, one writer;
* 8 concurrent writers (processes): events/s, one event per transaction;
* replay rows/s: reading the global order (ours: the gap-safe reader; eventsourcing:
  ``select_notifications``) into a no-op projector (no JSON decoded on either side), into one
  that reads each event's data (JSON decoded on both sides), and into an ORM projection (the
  demo's OrderSummary rows, one per event, written through the Django ORM).

Rounds alternate which side goes first. Reported: per-round ratios and their median, and the
ratio of the medians.

    python benchmarks/eventstore_bench.py [--rounds 3] [--duration 30] [--commits 500]
        [--batches 100] [--replay 100000] [--orm-replay 5000]
"""

from __future__ import annotations

import argparse
import json
import multiprocessing as mp
import os
import statistics
import sys
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import django  # noqa: E402
import psycopg  # noqa: E402
from django.conf import settings  # noqa: E402

DB = os.environ.get("FORGE_BENCH_DB", "forge_bench_eventstore")
HOST, PORT, USER = "127.0.0.1", 5432, "postgres"

settings.configure(
    DEBUG=False,
    SECRET_KEY="bench",
    USE_TZ=True,
    INSTALLED_APPS=[
        "django.contrib.contenttypes",
        "django.contrib.auth",
        "forge_suite.core",
        "forge_suite.eventstore",
        "example_project.orders",
    ],
    DATABASES={
        "default": {
            "ENGINE": "django.db.backends.postgresql",
            "NAME": DB,
            "HOST": HOST,
            "PORT": PORT,
            "USER": USER,
        }
    },
    DEFAULT_AUTO_FIELD="django.db.models.BigAutoField",
    CELERY_TASK_ALWAYS_EAGER=True,
    FORGE={},
)


def recreate_database() -> None:
    with psycopg.connect(host=HOST, port=PORT, user=USER, dbname="postgres", autocommit=True) as c:
        c.execute(f'DROP DATABASE IF EXISTS "{DB}" WITH (FORCE)')
        c.execute(f'CREATE DATABASE "{DB}"')


recreate_database()
django.setup()

from django.core.management import call_command  # noqa: E402
from django.db import connection, connections, transaction  # noqa: E402
from eventsourcing.persistence import StoredEvent as ESStoredEvent  # noqa: E402
from eventsourcing.postgres import PostgresApplicationRecorder, PostgresDatastore  # noqa: E402

from example_project.orders.models import OrderSummary  # noqa: E402
from forge_suite.eventstore import NewEvent, Projector, RecordedEvent, append, handles  # noqa: E402
from forge_suite.eventstore.replay import replay  # noqa: E402
from forge_suite.eventstore.store import iter_all  # noqa: E402

call_command("migrate", verbosity=0)


def body(i: int) -> dict[str, Any]:
    return {
        "order_id": f"o{i}",
        "customer": f"customer-{i % 97}",
        "total_cents": 1000 + i,
        "currency": "EUR",
    }


# --- eventsourcing ---------------------------------------------------------------------------


def es_recorder(create: bool = True) -> PostgresApplicationRecorder:
    datastore = PostgresDatastore(DB, HOST, PORT, USER, "", pool_size=1, lock_timeout=30)
    recorder = PostgresApplicationRecorder(datastore, events_table_name="es_events")
    if create:
        recorder.create_table()
    return recorder


def es_event(originator: uuid.UUID, version: int, i: int) -> ESStoredEvent:
    return ESStoredEvent(
        originator_id=originator,
        originator_version=version,
        topic="orders:OrderPlaced",
        state=json.dumps(body(i)).encode(),
    )


def es_single(recorder: PostgresApplicationRecorder, n: int) -> float:
    originator = uuid.uuid4()
    start = time.perf_counter()
    for v in range(1, n + 1):
        recorder.insert_events([es_event(originator, v, v)])
    return n / (time.perf_counter() - start)


def es_batches(recorder: PostgresApplicationRecorder, batches: int) -> float:
    start = time.perf_counter()
    for b in range(batches):
        originator = uuid.uuid4()
        recorder.insert_events([es_event(originator, v, b * 100 + v) for v in range(1, 101)])
    return batches * 100 / (time.perf_counter() - start)


def es_replay(
    recorder: PostgresApplicationRecorder, orm: bool, decode: bool = True
) -> tuple[int, float]:
    start, count, position = time.perf_counter(), 0, 1
    while True:
        notes = recorder.select_notifications(position, 1000)
        if not notes:
            break
        if orm:
            with transaction.atomic():
                for note in notes:
                    OrderSummary.objects.create(**_summary(json.loads(note.state), note.id))
        elif decode:
            for note in notes:
                json.loads(note.state)
        count += len(notes)
        position = notes[-1].id + 1
    return count, count / (time.perf_counter() - start)


# --- forge ---------------------------------------------------------------------------------


def forge_single(n: int) -> float:
    stream = f"order-{uuid.uuid4()}"
    start = time.perf_counter()
    for v in range(n):
        append(stream, [NewEvent("orders.OrderPlaced", body(v), 2)], v)
    return n / (time.perf_counter() - start)


def forge_batches(batches: int, offset: int = 0) -> float:
    start = time.perf_counter()
    for b in range(batches):
        events = [NewEvent("orders.OrderPlaced", body(offset + b * 100 + v), 2) for v in range(100)]
        append(f"order-{uuid.uuid4()}", events, 0)
    return batches * 100 / (time.perf_counter() - start)


class NoOp(Projector):
    name = "bench_noop"

    @handles("orders.OrderPlaced")
    def placed(self, event: RecordedEvent) -> None:
        pass


class Reader(Projector):
    """Reads each event's data and does nothing else (the JSON decoding is paid)."""

    name = "bench_reader"

    @handles("orders.OrderPlaced")
    def placed(self, event: RecordedEvent) -> None:
        event.data  # noqa: B018


def _summary(data: dict[str, Any], position: int) -> dict[str, Any]:
    from django.utils import timezone

    return {
        "order_id": f"{data['order_id']}-{position}",
        "customer": data["customer"],
        "status": "placed",
        "total_cents": data["total_cents"],
        "currency": data["currency"],
        "placed_at": timezone.now(),
        "last_position": position,
    }


class OrmSummary(Projector):
    name = "bench_orm"
    models = (OrderSummary,)
    batch_size = 1000

    @handles("orders.OrderPlaced")
    def placed(self, event: RecordedEvent) -> None:
        OrderSummary.objects.create(**_summary(event.data, event.position))


def forge_replay_noop(read_data: bool = False) -> tuple[int, float]:
    projector, count = (Reader() if read_data else NoOp()), 0
    start = time.perf_counter()
    for event in iter_all(batch=1000, types=["orders.OrderPlaced"]):
        projector.handle(event)
        count += 1
    return count, count / (time.perf_counter() - start)


def forge_replay_orm() -> tuple[int, float]:
    start = time.perf_counter()
    count = replay(OrmSummary)
    return count, count / (time.perf_counter() - start)


# --- concurrent writers (processes) --------------------------------------------------------


def _writer(side: str, barrier: Any, duration: float, out: Any) -> None:
    connections.close_all()
    recorder = es_recorder(create=False) if side == "es" else None
    originator, stream, n = uuid.uuid4(), f"order-{uuid.uuid4()}", 0
    barrier.wait()
    deadline = time.perf_counter() + duration
    while time.perf_counter() < deadline:
        if recorder is not None:
            recorder.insert_events([es_event(originator, n + 1, n)])
        else:
            append(stream, [NewEvent("orders.OrderPlaced", body(n), 2)], n)
        n += 1
    out.put(n)
    connections.close_all()


def concurrent(side: str, writers: int, duration: float) -> float:
    connections.close_all()
    ctx = mp.get_context("fork")
    barrier, out = ctx.Barrier(writers + 1, timeout=120), ctx.Queue()
    procs = [
        ctx.Process(target=_writer, args=(side, barrier, duration, out)) for _ in range(writers)
    ]
    for p in procs:
        p.start()
    barrier.wait()
    total = sum(out.get(timeout=duration + 120) for _ in procs)
    for p in procs:
        p.join()
    return total / duration


# --- driver ----------------------------------------------------------------------------------


def reset_forge_tables() -> None:
    with connection.cursor() as cursor:
        cursor.execute(
            "TRUNCATE forge_eventstore_storedevent, forge_eventstore_projectioncheckpoint, "
            "demo_orders_ordersummary RESTART IDENTITY"
        )


def reset_es_table() -> None:
    with connection.cursor() as cursor:
        cursor.execute("TRUNCATE es_events RESTART IDENTITY")
        cursor.execute("TRUNCATE demo_orders_ordersummary")


def run(args: argparse.Namespace) -> dict[str, list[tuple[float, float]]]:
    results: dict[str, list[tuple[float, float]]] = {}
    recorder = es_recorder()

    def both(name: str, forge: Callable[[], float], es: Callable[[], float], rnd: int) -> None:
        order = [("forge", forge), ("es", es)] if rnd % 2 == 0 else [("es", es), ("forge", forge)]
        got = {}
        for side, fn in order:
            got[side] = fn()
        results.setdefault(name, []).append((got["forge"], got["es"]))
        print(
            f"  {name:<28} forge {got['forge']:>10,.0f}/s   eventsourcing {got['es']:>10,.0f}/s"
            f"   ratio {got['forge'] / got['es']:.2f}x",
            flush=True,
        )

    for rnd in range(args.rounds):
        print(f"round {rnd + 1}", flush=True)
        reset_forge_tables()
        reset_es_table()
        both(
            "single-event commits",
            lambda: forge_single(args.commits),
            lambda: es_single(recorder, args.commits),
            rnd,
        )
        both(
            "100-event batches (events)",
            lambda: forge_batches(args.batches),
            lambda: es_batches(recorder, args.batches),
            rnd,
        )
        both(
            f"{args.writers} concurrent writers",
            lambda: concurrent("forge", args.writers, args.duration),
            lambda: concurrent("es", args.writers, args.duration),
            rnd,
        )
        # Replays: the same events on both sides (fewer for the ORM projection, which writes
        # one row per event).
        reset_forge_tables()
        reset_es_table()
        forge_batches(args.orm_replay // 100)
        es_batches(recorder, args.orm_replay // 100)
        analyze()
        both(
            "replay, ORM projection",
            lambda: forge_replay_orm()[1],
            lambda: (reset_summary(), es_replay(recorder, orm=True)[1])[1],
            rnd,
        )
        forge_batches((args.replay - args.orm_replay) // 100)
        es_batches(recorder, (args.replay - args.orm_replay) // 100)
        analyze()
        both(
            "replay, no-op projector",
            lambda: forge_replay_noop()[1],
            lambda: es_replay(recorder, orm=False, decode=False)[1],
            rnd,
        )
        both(
            "replay, reading each event's data",
            lambda: forge_replay_noop(read_data=True)[1],
            lambda: es_replay(recorder, orm=False)[1],
            rnd,
        )
    return results


def analyze() -> None:
    """Fresh statistics after a bulk load (autovacuum would do it a little later)."""
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE forge_eventstore_storedevent")
        cursor.execute("ANALYZE es_events")


def reset_summary() -> None:
    with connection.cursor() as cursor:
        cursor.execute("TRUNCATE demo_orders_ordersummary")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument(
        "--duration", type=float, default=30.0, help="seconds of concurrent writing"
    )
    parser.add_argument("--writers", type=int, default=8)
    parser.add_argument("--commits", type=int, default=500)
    parser.add_argument("--batches", type=int, default=100)
    parser.add_argument("--replay", type=int, default=100_000, help="events for no-op replay")
    parser.add_argument("--orm-replay", type=int, default=5_000, help="events for ORM replay")
    args = parser.parse_args()
    print(f"load before: {os.getloadavg()}", flush=True)
    results = run(args)
    print(f"load after: {os.getloadavg()}")
    print(
        "\n| Measure | forge median | eventsourcing median "
        "| median of per-round ratios | ratio of medians |"
    )
    print("| --- | ---: | ---: | ---: | ---: |")
    for name, pairs in results.items():
        f = statistics.median(p[0] for p in pairs)
        e = statistics.median(p[1] for p in pairs)
        r = statistics.median(p[0] / p[1] for p in pairs)
        print(f"| {name} | {f:,.0f}/s | {e:,.0f}/s | {r:.2f}x | {f / e:.2f}x |")
    connections.close_all()
    recreate_database()


if __name__ == "__main__":
    main()
