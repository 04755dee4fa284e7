"""Redis store: every decision is one atomic Lua script (one round trip).

Time comes from the Redis server (``TIME`` inside the script) unless a ``clock`` is given:
one clock for every process, so skewed application-server clocks cannot admit extra hits.
An injected clock is passed into the script instead (tests, simulations).
"""

from __future__ import annotations

import asyncio
import weakref
from typing import Any

from forge_suite.core.redis import get_redis, redact_url
from forge_suite.throttling.algorithms import Outcome
from forge_suite.throttling.exceptions import StoreUnavailable
from forge_suite.throttling.lua import SCRIPTS
from forge_suite.throttling.policy import ALGORITHMS, Policy
from forge_suite.throttling.stores.base import Clock, KeyUsage, Store

__all__ = ["RedisStore"]


class RedisStore(Store):
    def __init__(
        self,
        url: str | None = None,
        *,
        prefix: str = "forge:throttle:",
        clock: Clock | None = None,
    ) -> None:
        super().__init__(prefix=prefix, clock=clock)
        self.url = url
        self._client: Any = None
        self._scripts: dict[str, Any] = {}
        self._async: weakref.WeakKeyDictionary[Any, tuple[Any, dict[str, Any]]] = (
            weakref.WeakKeyDictionary()
        )

    @property
    def client(self) -> Any:
        if self._client is None:
            self._client = get_redis(self.url)
            self._scripts = {
                name: self._client.register_script(src) for name, src in SCRIPTS.items()
            }
        return self._client

    def _call(self, policy: Policy, key: str, cost: int) -> tuple[list[str], list[Any]]:
        skey = self.storage_key(policy, key)
        keys = [skey, f"{skey}:seq"] if policy.algorithm == "sliding_log" else [skey]
        now = self.now_us()
        args = [
            "" if now is None else now,
            policy.limit,
            policy.period * 1_000_000,
            policy.capacity,
            cost,
        ]
        return keys, args

    def _unavailable(self, exc: Exception) -> StoreUnavailable:
        where = redact_url(self.url) if self.url else 'FORGE["REDIS_URL"]'
        return StoreUnavailable(f"Redis at {where} failed: {exc}")

    def _hit(self, policy: Policy, key: str, cost: int) -> tuple[Outcome, int]:
        import redis

        keys, args = self._call(policy, key, cost)
        try:
            self.client  # noqa: B018  registers the scripts
            result = self._scripts[policy.algorithm](keys=keys, args=args)
        except redis.RedisError as exc:
            raise self._unavailable(exc) from exc
        return _outcome(result)

    async def _ahit(self, policy: Policy, key: str, cost: int) -> tuple[Outcome, int]:
        import redis

        keys, args = self._call(policy, key, cost)
        try:
            scripts = self._async_scripts()
            result = await scripts[policy.algorithm](keys=keys, args=args)
        except redis.RedisError as exc:
            raise self._unavailable(exc) from exc
        return _outcome(result)

    def _async_scripts(self) -> dict[str, Any]:
        """Async clients are bound to their event loop: one per running loop."""
        from forge_suite.core.redis import get_async_redis

        loop = asyncio.get_running_loop()
        entry = self._async.get(loop)
        if entry is None:
            client = get_async_redis(self.url)
            scripts = {name: client.register_script(src) for name, src in SCRIPTS.items()}
            entry = (client, scripts)
            self._async[loop] = entry
        return entry[1]

    def reset(self, policy: Policy, key: str) -> None:
        import redis

        names = []
        for algorithm in ALGORITHMS:
            skey = self.storage_key(policy, key, algorithm)
            names += [skey, f"{skey}:seq"]
        try:
            self.client.delete(*names)
        except redis.RedisError as exc:
            raise self._unavailable(exc) from exc

    def top_keys(self, policy: Policy, count: int = 20, scan_limit: int = 5000) -> list[KeyUsage]:
        import redis

        head = f"{self.prefix}{policy.name}:{policy.algorithm}:"
        keys: list[str] = []
        try:
            for raw in self.client.scan_iter(match=_escape(head) + "*", count=1000):
                name = raw.decode() if isinstance(raw, bytes) else str(raw)
                if name.endswith(":seq"):
                    continue
                keys.append(name[len(head) :])
                if len(keys) >= scan_limit:
                    break
        except redis.RedisError as exc:
            raise self._unavailable(exc) from exc
        return self._top(policy, keys, count)


def _outcome(result: list[Any]) -> tuple[Outcome, int]:
    allowed, remaining, reset, retry, now = (int(v) for v in result)
    return Outcome(bool(allowed), remaining, reset, None if retry < 0 else retry), now


def _escape(pattern: str) -> str:
    for char in "\\*?[]":
        pattern = pattern.replace(char, "\\" + char)
    return pattern
