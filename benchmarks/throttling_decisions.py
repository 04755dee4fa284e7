"""Decisions per second: Forge Suite's Redis algorithms vs ``limits`` and django-ratelimit.

Every contender uses the same Redis server in the same run: ours through one Lua script per
decision, the ``limits`` library's moving window (exact, like our sliding log) through its
Redis storage, django-ratelimit's ``is_ratelimited`` through Django's ``RedisCache`` (``add``
then ``incr``). Each round times every contender on the same requests and keys (each derives
the key from the request the same way), in alternating order. Reported: the median of the
rounds per contender, the ratio of medians, the median of the per-round ratios, and the
client's CPU time per decision.

    python benchmarks/throttling_decisions.py [--redis redis://127.0.0.1:6379/15]
        [--rounds 5] [--decisions 3000] [--keys 100]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
import uuid
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def configure(redis_url: str, prefix: str) -> None:
    import django
    from django.conf import settings

    settings.configure(
        DEBUG=False,
        SECRET_KEY="benchmark",
        INSTALLED_APPS=[
            "django.contrib.contenttypes",
            "django.contrib.auth",
            "forge_suite.core",
            "forge_suite.throttling",
        ],
        DATABASES={"default": {"ENGINE": "django.db.backends.sqlite3", "NAME": ":memory:"}},
        CACHES={
            "default": {
                "BACKEND": "django.core.cache.backends.redis.RedisCache",
                "LOCATION": redis_url,
                "KEY_PREFIX": prefix + "dj",
            }
        },
        RATELIMIT_USE_CACHE="default",
        FORGE={
            "REDIS_URL": redis_url,
            # A generous timeout: on a loaded machine a 50 ms deadline is sometimes missed,
            # and a failed-open decision would not be a decision.
            "THROTTLING": {
                "KEY_PREFIX": prefix + "forge:",
                "DYNAMIC_LIMITS": False,
                "REDIS_TIMEOUT": 2.0,
            },
        },
        USE_TZ=True,
    )
    django.setup()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--redis", default="redis://127.0.0.1:6379/15")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--decisions", type=int, default=3000)
    parser.add_argument("--keys", type=int, default=100)
    args = parser.parse_args()
    if args.rounds < 1 or args.decisions < 1 or args.keys < 1:
        parser.error("--rounds, --decisions and --keys must be positive")

    prefix = f"forge-bench:{uuid.uuid4().hex[:8]}:"
    configure(args.redis, prefix)

    from django.test import RequestFactory
    from django_ratelimit.core import is_ratelimited

    from forge_suite.core.redis import get_redis
    from forge_suite.throttling import Policy, check
    from forge_suite.throttling.policy import resolve_key

    rate = "100000000/h"  # never limited: we time the decision, not the rejection path
    requests = []
    factory = RequestFactory()
    for i in range(args.keys):
        requests.append(factory.get("/", REMOTE_ADDR=f"10.0.{i // 250}.{i % 250 + 1}"))

    def ours(algorithm: str) -> Callable[[int], None]:
        policy = Policy(f"bench-{algorithm}", rate, algorithm=algorithm, key="ip")

        def run(n: int) -> None:
            for i in range(n):
                request = requests[i % len(requests)]
                decision = check(policy, resolve_key(policy, request))
                if decision.error:
                    raise SystemExit(f"Redis failed: {decision.error}")

        return run

    from limits import parse
    from limits.storage import RedisStorage
    from limits.strategies import MovingWindowRateLimiter

    moving_window = MovingWindowRateLimiter(RedisStorage(args.redis, key_prefix=prefix + "lim"))
    limits_item = parse("100000000/hour")
    key_policy = Policy("bench-limits", rate, key="ip")

    def limits_moving_window(n: int) -> None:
        for i in range(n):
            key = resolve_key(key_policy, requests[i % len(requests)])
            moving_window.hit(limits_item, "bench", key)

    def django_ratelimit(n: int) -> None:
        for i in range(n):
            is_ratelimited(
                requests[i % len(requests)], group="bench", key="ip", rate=rate, increment=True
            )

    contenders: dict[str, Callable[[int], None]] = {
        "forge gcra": ours("gcra"),
        "forge sliding_window": ours("sliding_window"),
        "forge fixed_window": ours("fixed_window"),
        "forge sliding_log": ours("sliding_log"),
        "limits moving_window": limits_moving_window,
        "django-ratelimit is_ratelimited": django_ratelimit,
    }
    for run in contenders.values():  # warm up: connections, script loading
        run(50)

    rates: dict[str, list[float]] = {name: [] for name in contenders}
    cpu_us: dict[str, list[float]] = {name: [] for name in contenders}
    names = list(contenders)
    try:
        for round_no in range(args.rounds):
            order = names if round_no % 2 == 0 else list(reversed(names))
            for name in order:
                started, cpu_started = time.perf_counter(), time.process_time()
                contenders[name](args.decisions)
                rates[name].append(args.decisions / (time.perf_counter() - started))
                cpu_us[name].append((time.process_time() - cpu_started) / args.decisions * 1e6)
    finally:
        client = get_redis(args.redis)
        for key in client.scan_iter(match=f"*{prefix}*", count=1000):
            client.delete(key)

    medians = {name: statistics.median(values) for name, values in rates.items()}
    print(
        f"{args.rounds} rounds x {args.decisions} decisions over {args.keys} keys, "
        f"Redis {args.redis}"
    )
    for baseline in ("limits moving_window", "django-ratelimit is_ratelimited"):
        print(f"\nvs {baseline}")
        print(
            f"{'contender':34} {'median decisions/s':>20} {'ratio of medians':>17} "
            f"{'median round ratio':>19}"
        )
        for name, value in medians.items():
            per_round = statistics.median(
                ours / theirs for ours, theirs in zip(rates[name], rates[baseline], strict=True)
            )
            print(f"{name:34} {value:20,.0f} {value / medians[baseline]:16.2f}x {per_round:18.2f}x")
    # CPU time of this process per decision: less sensitive to a loaded machine than the
    # rate, which mostly waits for Redis (and for a core to run on).
    print(f"\n{'contender':34} {'median CPU us/decision':>23}")
    for name, values in cpu_us.items():
        print(f"{name:34} {statistics.median(values):23.1f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
