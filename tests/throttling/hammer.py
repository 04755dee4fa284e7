"""Worker of the concurrency tests: one process running several client threads.

Runs in a fresh (spawned) interpreter, so it sets Django up itself. Each thread hits one key
through the process's store (Redis, or the Django-cache store on a shared RedisCache) until
a deadline or a number of hits, and the process returns
the store-clock times of the hits that were admitted.
"""

from __future__ import annotations

import os
import threading
import time
from typing import Any


def run(
    url: str,
    prefix: str,
    policy_kwargs: dict[str, Any],
    threads: int,
    fixed_now: float | None,
    hits_per_thread: int,
    seconds: float,
    ready: Any,
    start: Any,
    store_kind: str = "redis",
) -> tuple[list[float], int]:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tests.settings")
    import django

    django.setup()
    from django.conf import settings

    from forge_suite.throttling import Policy
    from forge_suite.throttling.stores import CacheStore, RedisStore, Store

    clock = (lambda: fixed_now) if fixed_now is not None else None
    store: Store
    if store_kind == "cache":
        # The Django-cache store on a cache every process shares: RedisCache on the test Redis.
        settings.CACHES = {
            **settings.CACHES,
            "shared": {
                "BACKEND": "django.core.cache.backends.redis.RedisCache",
                "LOCATION": url,
                "KEY_PREFIX": prefix,
            },
        }
        store = CacheStore("shared", prefix="", clock=clock)
    else:
        store = RedisStore(url, prefix=prefix, clock=clock)
    policy = Policy(**policy_kwargs)
    store.peek(policy, "warm-up")  # connect and load the scripts before the start signal
    ready.put(os.getpid())
    start.wait()
    until = time.time() + seconds
    admitted: list[float] = []
    total = [0]
    lock = threading.Lock()

    def client() -> None:
        mine: list[float] = []
        count = 0
        while (hits_per_thread and count < hits_per_thread) or (
            not hits_per_thread and time.time() < until
        ):
            decision = store.hit(policy, "hot")
            count += 1
            if decision.allowed:
                mine.append(decision.at or 0.0)
        with lock:
            admitted.extend(mine)
            total[0] += count

    workers = [threading.Thread(target=client) for _ in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    return admitted, total[0]
