"""Added latency per decision when Redis accepts connections and never answers.

Starts a loopback TCP server that accepts and never replies, points the limiter at it and
times decisions: with the suite's shared client (the old behaviour, ``REDIS_TIMEOUT=None``),
with the limiter's own short timeout and the breaker off, and with the circuit breaker open.
A healthy Redis is timed in the same run for comparison.

    python benchmarks/throttling_hanging_redis.py [--redis redis://127.0.0.1:6379/15]
        [--timeout 0.05] [--decisions 200] [--skip-shared]
"""

from __future__ import annotations

import argparse
import logging
import socket
import statistics
import sys
import threading
import time
import uuid
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def hanging_server() -> str:
    server = socket.create_server(("127.0.0.1", 0))
    held: list[socket.socket] = []

    def accept() -> None:
        while True:
            conn, _ = server.accept()
            held.append(conn)

    threading.Thread(target=accept, daemon=True).start()
    return f"redis://127.0.0.1:{server.getsockname()[1]}/0"


def timed(n: int, call: Callable[[], object]) -> list[float]:
    samples = []
    for _ in range(n):
        started = time.perf_counter()
        call()
        samples.append(time.perf_counter() - started)
    return samples


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--redis", default="redis://127.0.0.1:6379/15")
    parser.add_argument("--timeout", type=float, default=0.05)
    parser.add_argument("--decisions", type=int, default=200)
    parser.add_argument("--skip-shared", action="store_true", help="skip the slow old path")
    args = parser.parse_args()

    import django
    from django.conf import settings

    settings.configure(
        SECRET_KEY="benchmark",
        INSTALLED_APPS=["django.contrib.contenttypes", "django.contrib.auth", "forge_suite.core"],
        DATABASES={"default": {"ENGINE": "django.db.backends.sqlite3", "NAME": ":memory:"}},
        FORGE={"THROTTLING": {"DYNAMIC_LIMITS": False}},
    )
    django.setup()
    logging.getLogger("forge_suite.throttling").setLevel(logging.ERROR)
    from django.test.utils import override_settings

    from forge_suite.throttling import Policy, api, check
    from forge_suite.throttling.stores import RedisStore

    policy = Policy("bench-hang", "100000000/h", algorithm="gcra")
    hung = hanging_server()
    prefix = f"forge-bench:{uuid.uuid4().hex[:8]}:"
    rows: list[tuple[str, list[float]]] = []

    def run(label: str, store: RedisStore, n: int, breaker: int, warm: int = 0) -> None:
        forge = {"THROTTLING": {"DYNAMIC_LIMITS": False, "BREAKER_FAILURES": breaker}}
        with override_settings(FORGE=forge):
            api.set_store(store)
            timed(warm, lambda: check(policy, "k"))
            rows.append((label, timed(n, lambda: check(policy, "k"))))

    run("healthy Redis", RedisStore(args.redis, prefix=prefix, timeout=args.timeout), 1000, 5, 50)
    if not args.skip_shared:
        run("hanging, shared client (before)", RedisStore(hung), 1, 0)
    run(
        f"hanging, own timeout {args.timeout * 1000:g} ms, no breaker",
        RedisStore(hung, timeout=args.timeout),
        args.decisions,
        0,
    )
    run(
        "hanging, breaker open",
        RedisStore(hung, timeout=args.timeout),
        1000,
        5,
        warm=5,
    )
    api.set_store(None)
    from forge_suite.core.redis import get_redis

    client = get_redis(args.redis)
    for key in client.scan_iter(match=f"{prefix}*", count=1000):
        client.delete(key)
    print(f"{'case':44} {'decisions':>9} {'median ms':>10} {'max ms':>10}")
    for label, samples in rows:
        print(
            f"{label:44} {len(samples):9} {statistics.median(samples) * 1000:10.3f} "
            f"{max(samples) * 1000:10.3f}"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
