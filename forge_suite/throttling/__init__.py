"""Rate limiting with several algorithms, exact across processes on Redis.

Public API::

    from forge_suite.throttling import Policy, check, acheck

    decision = check(Policy("login", "5/m", algorithm="sliding_log"), key=username)
    if not decision.allowed:
        ...  # decision.retry_after seconds

``decide(policy, request)`` is the same decision for a request (bypass rules, tiers, the
policy's key and the response headers); the middleware, ``@ratelimit`` and the DRF classes
use it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from forge_suite.core.exports import lazy_dir, lazy_exports

__all__ = [
    "ALGORITHMS",
    "UNLIMITED",
    "Decision",
    "Policy",
    "Throttled",
    "acheck",
    "acheck_all",
    "adecide",
    "check",
    "check_all",
    "decide",
    "get_policy",
    "get_store",
    "parse_rate",
    "ratelimit",
    "register",
    "reset",
]

if TYPE_CHECKING:
    from forge_suite.throttling.api import (
        acheck,
        acheck_all,
        check,
        check_all,
        get_policy,
        get_store,
        register,
        reset,
    )
    from forge_suite.throttling.decision import Decision
    from forge_suite.throttling.decorators import ratelimit
    from forge_suite.throttling.exceptions import Throttled
    from forge_suite.throttling.pipeline import adecide, decide
    from forge_suite.throttling.policy import ALGORITHMS, UNLIMITED, Policy
    from forge_suite.throttling.rates import parse_rate

_EXPORTS = {
    "acheck": ".api",
    "acheck_all": ".api",
    "check": ".api",
    "check_all": ".api",
    "get_policy": ".api",
    "get_store": ".api",
    "register": ".api",
    "reset": ".api",
    "Decision": ".decision",
    "ratelimit": ".decorators",
    "adecide": ".pipeline",
    "decide": ".pipeline",
    "Throttled": ".exceptions",
    "ALGORITHMS": ".policy",
    "UNLIMITED": ".policy",
    "Policy": ".policy",
    "parse_rate": ".rates",
}

# Lazy so that loading the app package does not import models early.
__getattr__ = lazy_exports(__name__, _EXPORTS)
__dir__ = lazy_dir(__name__, _EXPORTS)
