"""Redis store: every decision is one atomic Lua script (one round trip).

Time comes from the Redis server (``TIME`` inside the script) unless a ``clock`` is given:
one clock for every process, so skewed application-server clocks cannot admit extra hits.
An injected clock is passed into the script instead (tests, simulations).
"""

from __future__ import annotations

import asyncio
import hashlib
import os
import threading
import weakref
from collections.abc import Sequence
from typing import Any

from forge_suite.core.redis import get_async_redis, get_redis, redact_url
from forge_suite.throttling.algorithms import Outcome
from forge_suite.throttling.decision import Decision
from forge_suite.throttling.exceptions import StoreUnavailable
from forge_suite.throttling.lua import ALGORITHM_IDS, MULTI, SCRIPTS
from forge_suite.throttling.policy import ALGORITHMS, Policy
from forge_suite.throttling.stores.base import (
    Clock,
    KeyUsage,
    Store,
    to_decision,
    validate_cost,
)

__all__ = ["RedisStore"]

_ALL_SCRIPTS = {**SCRIPTS, "multi": MULTI}
_SHAS = {name: hashlib.sha1(src.encode()).hexdigest() for name, src in _ALL_SCRIPTS.items()}
#: The packed head of ``EVALSHA <sha>`` per script (the arguments are appended per call).
_EVALSHA = {
    name: b"$7\r\nEVALSHA\r\n$40\r\n" + sha.encode() + b"\r\n" for name, sha in _SHAS.items()
}


def _pack(head: bytes, numkeys: int, keys: list[str], args: list[Any]) -> bytes:
    """``EVALSHA`` in the Redis protocol, packed in one pass (redis-py's general packer
    costs about three times as much per decision)."""
    parts = [b"*%d\r\n" % (3 + len(keys) + len(args)), head]
    for value in (numkeys, *keys, *args):
        data = value.encode() if isinstance(value, str) else b"%d" % value
        parts.append(b"$%d\r\n%b\r\n" % (len(data), data))
    return b"".join(parts)


class RedisStore(Store):
    def __init__(
        self,
        url: str | None = None,
        *,
        prefix: str = "forge:throttle:",
        clock: Clock | None = None,
        timeout: float | None = None,
        connect_timeout: float | None = None,
    ) -> None:
        super().__init__(prefix=prefix, clock=clock)
        self.url = url
        #: Seconds to wait for Redis on the store's own pool; None shares the suite's client.
        self.timeout = timeout
        self.connect_timeout = connect_timeout or timeout
        self._client: Any = None
        self._lock = threading.Lock()
        self._local = threading.local()
        self._scripts: dict[str, Any] = {}
        self._async: weakref.WeakKeyDictionary[Any, tuple[Any, dict[str, Any]]] = (
            weakref.WeakKeyDictionary()
        )

    @property
    def client(self) -> Any:
        """The Redis client, with the scripts registered before it is published.

        Other threads read ``_client`` without the lock: they must never see a client whose
        scripts are not there yet (the first-use race).
        """
        client = self._client
        if client is None:
            with self._lock:
                client = self._client
                if client is None:
                    client = self._new_client(asynchronous=False)
                    self._scripts = {
                        name: client.register_script(src) for name, src in _ALL_SCRIPTS.items()
                    }
                    self._client = client
        return client

    def _new_client(self, *, asynchronous: bool) -> Any:
        """The suite's shared client, or one on a pool of the limiter's own with its timeout.

        The limiter's pool waits for a free connection instead of failing (redis-py's
        ``BlockingConnectionPool``) and never retries: a slow Redis must cost a decision
        ``timeout`` seconds once, not once per retry.
        """
        if self.timeout is None:
            return get_async_redis(self.url) if asynchronous else get_redis(self.url)
        import redis
        import redis.asyncio

        from forge_suite.core.conf import forge_settings

        url = self.url or forge_settings.REDIS_URL
        options: dict[str, Any] = {
            "max_connections": int(forge_settings.REDIS_MAX_CONNECTIONS),
            "timeout": float(forge_settings.REDIS_POOL_TIMEOUT),
            "socket_timeout": self.timeout,
            "socket_connect_timeout": self.connect_timeout,
        }
        if asynchronous:
            from redis.asyncio.retry import Retry as AsyncRetry
            from redis.backoff import NoBackoff

            pool = redis.asyncio.BlockingConnectionPool.from_url(
                url, retry=AsyncRetry(NoBackoff(), 0), **options
            )
            return redis.asyncio.Redis(connection_pool=pool)
        from redis.backoff import NoBackoff
        from redis.retry import Retry

        sync_pool = redis.BlockingConnectionPool.from_url(
            url, retry=Retry(NoBackoff(), 0), **options
        )
        return redis.Redis(connection_pool=sync_pool)

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
            result = self._evalsha(policy.algorithm, keys, args)
        except redis.RedisError as exc:
            raise self._unavailable(exc) from exc
        return _outcome(result)

    def _connection(self) -> Any:
        """This thread's own connection, made from the client's pool settings.

        A decision is one ``EVALSHA``: sending it on a connection the thread keeps skips the
        pool's checkout, its readiness probe and the client's command machinery (about a
        third of the syscalls and Python work per decision). A forked child makes its own.
        """
        local = self._local
        connection = getattr(local, "connection", None)
        if connection is None or local.pid != os.getpid():
            pool = self.client.connection_pool
            connection = pool.connection_class(**pool.connection_kwargs)
            local.connection, local.pid, local.used = connection, os.getpid(), False
        return connection

    def _evalsha(self, name: str, keys: list[str], args: list[Any]) -> Any:
        """Run script ``name`` in one round trip (``EVAL`` loads it if Redis lost it)."""
        from redis.exceptions import ConnectionError, NoScriptError, ResponseError

        connection = self._connection()
        local = self._local
        for attempt in (1, 2):
            reused = local.used
            try:
                connection.send_packed_command([_pack(_EVALSHA[name], len(keys), keys, args)])
                result = connection.read_response()
            except NoScriptError:
                connection.send_command("EVAL", _ALL_SCRIPTS[name], len(keys), *keys, *args)
                result = connection.read_response()
            except ResponseError:
                raise  # a script error: the connection itself is fine
            except ConnectionError:
                connection.disconnect()
                local.used = False
                if attempt == 1 and reused:
                    continue  # a pooled connection the server closed while idle: once more
                raise
            except BaseException:
                connection.disconnect()  # a timeout may leave a late reply on the socket
                local.used = False
                raise
            local.used = True
            return result
        raise AssertionError("unreachable")  # pragma: no cover

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
        loop = asyncio.get_running_loop()
        entry = self._async.get(loop)
        if entry is None:
            client = self._new_client(asynchronous=True)
            scripts = {name: client.register_script(src) for name, src in _ALL_SCRIPTS.items()}
            entry = (client, scripts)
            self._async[loop] = entry
        return entry[1]

    def _many_call(
        self, limits: Sequence[tuple[Policy, str]], cost: int
    ) -> tuple[list[str], list[Any]]:
        for policy, _ in limits:
            validate_cost(policy, cost)
        keys: list[str] = []
        now = self.now_us()
        args: list[Any] = ["" if now is None else now]
        for policy, key in limits:
            skey = self.storage_key(policy, key)
            keys += [skey, f"{skey}:seq"]
            args += [
                ALGORITHM_IDS[policy.algorithm],
                policy.limit,
                policy.period * 1_000_000,
                policy.capacity,
                cost,
            ]
        return keys, args

    def hit_many(self, limits: Sequence[tuple[Policy, str]], cost: int = 1) -> list[Decision]:
        """Every limit in one atomic script (see :meth:`Store.hit_many`)."""
        import redis

        if not limits:
            return []
        keys, args = self._many_call(limits, cost)
        try:
            result = self._evalsha("multi", keys, args)
        except redis.RedisError as exc:
            raise self._unavailable(exc) from exc
        return _decisions(limits, result)

    async def ahit_many(
        self, limits: Sequence[tuple[Policy, str]], cost: int = 1
    ) -> list[Decision]:
        import redis

        if not limits:
            return []
        keys, args = self._many_call(limits, cost)
        try:
            result = await self._async_scripts()["multi"](keys=keys, args=args)
        except redis.RedisError as exc:
            raise self._unavailable(exc) from exc
        return _decisions(limits, result)

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


def _decisions(limits: Sequence[tuple[Policy, str]], result: list[Any]) -> list[Decision]:
    now = int(result[-1])
    decisions = []
    for index, (policy, key) in enumerate(limits):
        allowed, remaining, reset, retry = (int(v) for v in result[4 * index : 4 * index + 4])
        outcome = Outcome(bool(allowed), remaining, reset, None if retry < 0 else retry)
        decisions.append(to_decision(policy, key, outcome, now))
    return decisions


def _escape(pattern: str) -> str:
    for char in "\\*?[]":
        pattern = pattern.replace(char, "\\" + char)
    return pattern
