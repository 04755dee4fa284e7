"""Expiring locks for ``without_overlapping()`` and ``on_one_server()``.

With ``FORGE["REDIS_URL"]`` the lock is a Redis key set with ``SET NX EX`` holding a random
token; it is released only by its holder (compare-and-delete in Lua) and expires on its own
when the holder dies, so a crashed worker never blocks an event for longer than ``expires``.
Without Redis the default cache is used (``cache.add``), which is only shared between
processes if the cache backend is (Redis, Memcached, database) - not with locmem.
"""

from __future__ import annotations

import uuid
from types import TracebackType
from typing import TYPE_CHECKING

from django.core.cache import cache

from forge_suite.core.redis import get_redis, redis_configured
from forge_suite.scheduling.conf import app_settings

if TYPE_CHECKING:
    from redis import Redis

__all__ = ["ExpiringLock"]

_RELEASE = """
if redis.call('get', KEYS[1]) == ARGV[1] then
    return redis.call('del', KEYS[1])
end
return 0
"""


class ExpiringLock:
    """A lock named ``name`` that lives at most ``expires`` seconds."""

    def __init__(self, name: str, expires: int, *, redis_url: str | None = None) -> None:
        if expires <= 0:
            raise ValueError(f"lock {name!r}: expires must be positive, got {expires!r}")
        self.key = f"{app_settings.LOCK_PREFIX}{name}"
        self.expires = int(expires)
        self.token = uuid.uuid4().hex
        self._redis_url = redis_url
        self.acquired = False

    def _redis(self) -> Redis | None:
        if self._redis_url or redis_configured():
            return get_redis(self._redis_url)
        return None

    def acquire(self) -> bool:
        """Take the lock if nobody holds it; return whether we hold it now."""
        client = self._redis()
        if client is not None:
            self.acquired = bool(client.set(self.key, self.token, nx=True, ex=self.expires))
        else:
            self.acquired = bool(cache.add(self.key, self.token, timeout=self.expires))
        return self.acquired

    def release(self) -> None:
        """Give the lock back if we still hold it (an expired lock is left alone)."""
        if not self.acquired:
            return
        client = self._redis()
        if client is not None:
            client.eval(_RELEASE, 1, self.key, self.token)
        elif cache.get(self.key) == self.token:
            cache.delete(self.key)
        self.acquired = False

    def held(self) -> bool:
        """Whether anyone holds the lock right now."""
        client = self._redis()
        if client is not None:
            return bool(client.exists(self.key))
        return cache.get(self.key) is not None

    def __enter__(self) -> bool:
        return self.acquire()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.release()
