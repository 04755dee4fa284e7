"""One shared Redis client factory for every app.

Sync clients are cached per URL so the whole process shares one connection pool per server
(redis-py pools are fork-safe: a child process opens its own connections). Async clients are
bound to an event loop, so their pools are kept per running loop and per URL.

Both pools *wait* for a free connection instead of failing with "Too many connections": at most
``FORGE["REDIS_MAX_CONNECTIONS"]`` connections are opened per pool, and a caller that finds them
all busy waits up to ``FORGE["REDIS_POOL_TIMEOUT"]`` seconds before :class:`RedisPoolExhausted`
(a :class:`~forge_suite.core.exceptions.ServiceUnavailable` and a ``redis.ConnectionError``, so
code that handles Redis being down handles this too).
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
import weakref
from typing import Any

import redis
import redis.asyncio

from forge_suite.core.conf import forge_settings
from forge_suite.core.exceptions import ServiceUnavailable

__all__ = [
    "RedisNotConfigured",
    "RedisPoolExhausted",
    "get_async_redis",
    "get_redis",
    "ping_redis",
    "redact_url",
    "redis_configured",
    "reset_clients",
]

_clients: dict[str, Any] = {}
_async_pools: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, dict[str, Any]] = (
    weakref.WeakKeyDictionary()
)
_lock = threading.Lock()

#: The message redis-py raises when a blocking pool had no free connection in time.
_POOL_EMPTY = "No connection available."


class RedisNotConfigured(ServiceUnavailable):
    """Redis was asked for but ``FORGE["REDIS_URL"]`` is not set."""


class RedisPoolExhausted(ServiceUnavailable, redis.ConnectionError):
    """Every connection of the pool stayed busy for ``FORGE["REDIS_POOL_TIMEOUT"]`` seconds."""


def redact_url(url: str) -> str:
    """Hide the password of a URL (``redis://user:***@host``) before it reaches a message or log."""
    if "@" not in url or "://" not in url:
        return url
    scheme, rest = url.split("://", 1)
    creds, host = rest.rsplit("@", 1)
    user = creds.split(":", 1)[0] if ":" in creds else creds
    return f"{scheme}://{user}:***@{host}" if ":" in creds else f"{scheme}://{user}@{host}"


def _exhausted(pool: Any, exc: BaseException) -> RedisPoolExhausted:
    where = redact_url(str(getattr(pool, "forge_url", "") or "Redis"))
    return RedisPoolExhausted(
        f"Redis pool for {where} is exhausted: all {pool.max_connections} connections stayed "
        f"busy for {pool.timeout}s. Raise FORGE['REDIS_MAX_CONNECTIONS'] or "
        f"FORGE['REDIS_POOL_TIMEOUT'], or look for a slow command holding connections ({exc})."
    )


class _WaitingPool(redis.BlockingConnectionPool):
    """A blocking pool whose "no connection available" error says what to change."""

    forge_url = ""

    def get_connection(self, *args: Any, **kwargs: Any) -> Any:
        try:
            # redis-py leaves this override unannotated (strict mypy: no-untyped-call; the
            # project's non-strict run does not report it, hence unused-ignore too).
            return super().get_connection(*args, **kwargs)  # type: ignore[no-untyped-call,unused-ignore]
        except redis.ConnectionError as exc:
            if str(exc) == _POOL_EMPTY:
                raise _exhausted(self, exc) from exc
            raise


class _AsyncWaitingPool(redis.asyncio.BlockingConnectionPool):
    """The asyncio twin of :class:`_WaitingPool`."""

    forge_url = ""

    async def get_connection(self, *args: Any, **kwargs: Any) -> Any:
        try:
            # redis-py leaves this override unannotated (strict mypy: no-untyped-call; the
            # project's non-strict run does not report it, hence unused-ignore too).
            return await super().get_connection(*args, **kwargs)  # type: ignore[no-untyped-call,unused-ignore]
        except redis.ConnectionError as exc:
            if str(exc) == _POOL_EMPTY:
                raise _exhausted(self, exc) from exc
            raise


def redis_configured() -> bool:
    """True when ``FORGE["REDIS_URL"]`` is set."""
    return bool(forge_settings.REDIS_URL)


def _resolve_url(url: str | None) -> str:
    resolved = url or forge_settings.REDIS_URL
    if not resolved:
        raise RedisNotConfigured(
            'Redis is not configured: set FORGE["REDIS_URL"] (for example '
            '"redis://127.0.0.1:6379/0") or use the embedded fallback of the app.'
        )
    return str(resolved)


def _pool_options() -> dict[str, Any]:
    timeout = float(forge_settings.REDIS_SOCKET_TIMEOUT)
    return {
        "max_connections": int(forge_settings.REDIS_MAX_CONNECTIONS),
        "timeout": float(forge_settings.REDIS_POOL_TIMEOUT),
        "socket_timeout": timeout,
        "socket_connect_timeout": timeout,
    }


def get_redis(url: str | None = None) -> redis.Redis:
    """Return a ``redis.Redis`` for ``url`` (default ``FORGE["REDIS_URL"]``), pooled per process.

    Raises :class:`RedisNotConfigured` when no URL is known. Connection errors surface on first
    use; call :func:`ping_redis` to fail early with a clear message.
    """
    resolved = _resolve_url(url)
    client = _clients.get(resolved)
    if client is None:
        with _lock:
            client = _clients.get(resolved)
            if client is None:
                pool = _WaitingPool.from_url(resolved, health_check_interval=30, **_pool_options())
                pool.forge_url = resolved
                client = redis.Redis(connection_pool=pool)
                _clients[resolved] = client
    return client


def get_async_redis(url: str | None = None) -> Any:
    """Return a ``redis.asyncio.Redis`` for ``url`` on the running loop's shared pool.

    Async connections belong to the event loop that opened them, so each running loop gets its
    own waiting pool per URL (dropped with the loop). Closing the returned client (``aclose()``)
    leaves the shared pool open. Called with no running loop, the client gets a private pool
    that it closes with itself.
    """
    resolved = _resolve_url(url)
    try:
        loop: asyncio.AbstractEventLoop | None = asyncio.get_running_loop()
    except RuntimeError:
        loop = None
    if loop is None:
        own = _AsyncWaitingPool.from_url(resolved, **_pool_options())
        own.forge_url = resolved
        return redis.asyncio.Redis.from_pool(own)
    with _lock:
        # A pool's asyncio primitives hold its loop, so the weak keys alone never let go of a
        # finished loop (async_to_sync runs each call in a new one): drop closed loops here.
        for closed in [other for other in _async_pools if other.is_closed()]:
            del _async_pools[closed]
        pools = _async_pools.setdefault(loop, {})
        pool = pools.get(resolved)
        if pool is None:
            pool = pools[resolved] = _AsyncWaitingPool.from_url(resolved, **_pool_options())
            pool.forge_url = resolved
    return redis.asyncio.Redis(connection_pool=pool)


def ping_redis(url: str | None = None) -> None:
    """Check that Redis answers; raise :class:`ServiceUnavailable` naming the URL if not."""
    resolved = _resolve_url(url)
    try:
        get_redis(resolved).ping()
    except RedisPoolExhausted:
        raise
    except redis.RedisError as exc:
        raise ServiceUnavailable(
            f"Redis at {redact_url(resolved)} is configured but unreachable: {exc}"
        ) from exc


def reset_clients() -> None:
    """Close and forget cached clients and pools (tests, or after changing ``REDIS_URL``)."""
    with _lock:
        for client in _clients.values():
            with contextlib.suppress(Exception):  # closing a dead client
                client.connection_pool.disconnect()
                client.close()
        _clients.clear()
        # Async pools can only be closed on their own loop; forgetting them lets the loop's
        # garbage collection close their sockets.
        _async_pools.clear()
