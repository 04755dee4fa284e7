"""Settings of throttling: ``FORGE["THROTTLING"]``."""

from __future__ import annotations

from typing import Any

from forge_suite.core.conf import AppSettings, Option
from forge_suite.core.validators import non_negative, one_of, positive, url


def _check_headers(value: Any) -> str | None:
    unknown = [v for v in value if v not in ("ietf", "x-ratelimit")]
    if unknown:
        return f"unknown header style(s) {unknown!r}; use 'ietf' and/or 'x-ratelimit'"
    return None


DEFAULTS: dict[str, Option] = {
    "ENABLED": Option(True, bool, "Turn every limit off (decisions always allow) when False."),
    "STORE": Option(
        "auto",
        str,
        "Where counters live: 'redis', 'cache' (Django cache, atomic add/incr), 'memory' "
        "(this process only), 'auto' (redis when a Redis URL is configured, else cache), or a "
        "dotted path to a Store class.",
    ),
    "REDIS_URL": Option(
        None,
        str,
        'Redis for the counters; None uses FORGE["REDIS_URL"].',
        nullable=True,
        validator=url,
    ),
    "REDIS_TIMEOUT": Option(
        0.05,
        (int, float),
        "Seconds the limiter waits for Redis (connect and each reply) before FAILURE_MODE "
        "decides, on its own connection pool (like Envoy's rate-limit filter, 20 ms by "
        'default there). None shares the suite\'s Redis client and FORGE["REDIS_SOCKET_TIMEOUT"].',
        nullable=True,
        validator=positive,
    ),
    "REDIS_CONNECT_TIMEOUT": Option(
        1.0,
        (int, float),
        "Seconds the limiter waits to open a new Redis connection (a burst of new connections "
        "on a busy event loop needs more than REDIS_TIMEOUT; a hung server accepts at once).",
        validator=positive,
    ),
    "BREAKER_FAILURES": Option(
        5,
        int,
        "Consecutive store failures that open the circuit breaker: FAILURE_MODE then answers "
        "at once without calling the store. 0 turns the breaker off.",
        validator=non_negative,
    ),
    "BREAKER_COOLDOWN": Option(
        5.0,
        (int, float),
        "Seconds the open breaker waits before letting one trial decision reach the store.",
        validator=positive,
    ),
    "KEY_PREFIX": Option("forge:throttle:", str, "Prefix of every counter key."),
    "CACHE_ALIAS": Option("default", str, "Django cache alias used by the 'cache' store."),
    "FAILURE_MODE": Option(
        "open",
        str,
        "When the store is unreachable: 'open' allows the request, 'closed' limits it. "
        "Logged either way; never an error response.",
        validator=one_of("open", "closed"),
    ),
    "POLICIES": Option(
        {},
        dict,
        "Named policies: {name: {'rate': '60/m', 'algorithm': 'gcra', 'burst': None, "
        "'key': 'ip', 'paths': [...], 'methods': [...], 'views': [...], 'mode': 'block'}}. "
        "Policies with paths or views are applied by the middleware.",
    ),
    "HEADERS": Option(
        ["ietf", "x-ratelimit"],
        (list, tuple),
        "Header styles on responses: 'ietf' (RateLimit-Policy and RateLimit) and "
        "'x-ratelimit' (X-RateLimit-Limit/Remaining/Reset).",
        validator=_check_headers,
    ),
    "TRUSTED_IPS": Option(
        [], (list, tuple), "IP networks (CIDR) that are never limited, e.g. ['10.0.0.0/8']."
    ),
    "BYPASS_HEADER": Option(
        None,
        str,
        "Request header that bypasses limits when it carries BYPASS_SECRET.",
        nullable=True,
    ),
    "BYPASS_SECRET": Option(
        None, str, "Secret compared in constant time with BYPASS_HEADER.", nullable=True
    ),
    "BYPASS_STAFF": Option(False, bool, "Staff users are never limited."),
    "BYPASS_PERMISSION": Option(
        None,
        str,
        "Users with this permission ('app_label.codename') are never limited.",
        nullable=True,
    ),
    "RESOLVER": Option(
        None,
        str,
        "Dotted path to fn(request, policy) returning a Policy, a rate string, UNLIMITED, or "
        "None to keep the policy (for example limits by subscription tier).",
        nullable=True,
        import_string=True,
    ),
    "DYNAMIC_LIMITS": Option(True, bool, "Apply limits edited in the admin (stored in the DB)."),
    "DYNAMIC_CACHE_SECONDS": Option(
        5.0, (int, float), "How long a process caches the admin-edited limits."
    ),
}

app_settings = AppSettings("THROTTLING", DEFAULTS)
