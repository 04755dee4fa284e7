"""One shared Redis client factory for every app.

Clients are cached per URL so the whole process shares one connection pool per server
(redis-py pools are fork-safe: a child process opens its own connections).
"""

from __future__ import annotations

import contextlib
import threading
from typing import Any

from forge_suite.core.conf import forge_settings
from forge_suite.core.exceptions import ServiceUnavailable

__all__ = ["RedisNotConfigured", "get_async_redis", "get_redis", "ping_redis", "redis_configured"]

_clients: dict[str, Any] = {}
_lock = threading.Lock()


class RedisNotConfigured(ServiceUnavailable):
    """Redis was asked for but ``FORGE["REDIS_URL"]`` is not set."""


def redis_configured() -> bool:
    return bool(forge_settings.REDIS_URL)


def _resolve_url(url: str | None) -> str:
    resolved = url or forge_settings.REDIS_URL
    if not resolved:
        raise RedisNotConfigured(
            'Redis is not configured: set FORGE["REDIS_URL"] (for example '
            '"redis://127.0.0.1:6379/0") or use the embedded fallback of the app.'
        )
    return str(resolved)


def get_redis(url: str | None = None) -> Any:
    """Return a ``redis.Redis`` for ``url`` (default ``FORGE["REDIS_URL"]``), pooled per process.

    Raises :class:`RedisNotConfigured` when no URL is known. Connection errors surface on first
    use; call :func:`ping_redis` to fail early with a clear message.
    """
    import redis

    resolved = _resolve_url(url)
    client = _clients.get(resolved)
    if client is None:
        with _lock:
            client = _clients.get(resolved)
            if client is None:
                timeout = float(forge_settings.REDIS_SOCKET_TIMEOUT)
                client = redis.Redis.from_url(
                    resolved,
                    socket_timeout=timeout,
                    socket_connect_timeout=timeout,
                    health_check_interval=30,
                )
                _clients[resolved] = client
    return client


def get_async_redis(url: str | None = None) -> Any:
    """Return a new ``redis.asyncio.Redis`` for ``url``.

    Async clients are bound to the event loop that first uses them, so each caller owns
    (and closes) its client instead of sharing a process-wide one.
    """
    import redis.asyncio

    resolved = _resolve_url(url)
    timeout = float(forge_settings.REDIS_SOCKET_TIMEOUT)
    return redis.asyncio.Redis.from_url(
        resolved, socket_timeout=timeout, socket_connect_timeout=timeout
    )


def ping_redis(url: str | None = None) -> None:
    """Check that Redis answers; raise :class:`ServiceUnavailable` naming the URL if not."""
    import redis

    resolved = _resolve_url(url)
    try:
        get_redis(resolved).ping()
    except redis.RedisError as exc:
        raise ServiceUnavailable(
            f"Redis at {_redact(resolved)} is configured but unreachable: {exc}"
        ) from exc


def _redact(url: str) -> str:
    """Hide a password in a URL before it reaches a message or a log."""
    if "@" not in url or "://" not in url:
        return url
    scheme, rest = url.split("://", 1)
    creds, host = rest.rsplit("@", 1)
    user = creds.split(":", 1)[0] if ":" in creds else creds
    return f"{scheme}://{user}:***@{host}" if ":" in creds else f"{scheme}://{user}@{host}"


def reset_clients() -> None:
    """Close and forget cached clients (tests, or after changing ``REDIS_URL``)."""
    with _lock:
        for client in _clients.values():
            with contextlib.suppress(Exception):  # closing a dead client
                client.close()
        _clients.clear()
