"""Policies: a named rate with an algorithm, a key, a scope and a mode."""

from __future__ import annotations

import dataclasses
import ipaddress
import re
from collections.abc import Callable, Mapping
from dataclasses import KW_ONLY, dataclass, field
from functools import lru_cache
from typing import Any

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.http import HttpRequest
from django.utils.module_loading import import_string

from forge_suite.core.proxies import client_ip
from forge_suite.throttling.exceptions import InvalidPolicy, InvalidRate
from forge_suite.throttling.rates import parse_rate

__all__ = ["ALGORITHMS", "UNLIMITED", "Policy", "ip_key", "resolve_key"]

#: Algorithm names accepted by :class:`Policy`.
ALGORITHMS = ("fixed_window", "sliding_window", "sliding_log", "token_bucket", "gcra")
MODES = ("block", "log")
_NAME_RE = re.compile(r"^[A-Za-z0-9_.\-]+$")
_ACCESSORS = ("header", "get", "post")
_SIMPLE = ("ip", "user", "user_or_ip", "global")


class _Unlimited:
    """Returned by a resolver to lift every limit for the request."""

    def __repr__(self) -> str:
        return "UNLIMITED"


UNLIMITED = _Unlimited()

KeyType = str | Callable[[str, HttpRequest], Any]


def validate_key(key: Any, where: str) -> None:
    if callable(key):
        return
    if not isinstance(key, str) or not key:
        raise InvalidPolicy(f"{where}: key must be a non-empty string or a callable, got {key!r}")
    if key in _SIMPLE:
        return
    if ":" in key:
        accessor, name = key.split(":", 1)
        if accessor not in _ACCESSORS or not name:
            raise InvalidPolicy(
                f"{where}: unknown key {key!r}; accessors are header:<name>, get:<field> and "
                "post:<field>"
            )
        return
    if "." in key:
        return
    raise InvalidPolicy(
        f"{where}: unknown key {key!r}; use ip, user, user_or_ip, global, header:<name>, "
        "get:<field>, post:<field> or a dotted path to fn(group, request)"
    )


@dataclass(frozen=True)
class Policy:
    """A named limit. ``rate`` uses django-ratelimit's syntax; ``None`` means unlimited.

    ``burst`` is the capacity of token bucket and GCRA (default: the rate's count); the window
    algorithms admit at most the rate's count per period. ``key`` follows django-ratelimit's
    conventions plus ``global``. ``paths`` (glob patterns), ``methods`` and ``views`` (dotted
    view paths or URL names) scope the policy for the middleware; ``mode="log"`` records
    decisions without blocking.
    """

    name: str
    rate: str | tuple[int, int] | None
    _: KW_ONLY
    algorithm: str = "gcra"
    burst: int | None = None
    key: KeyType = "ip"
    paths: tuple[str, ...] = ()
    methods: tuple[str, ...] = ()
    views: tuple[str, ...] = ()
    mode: str = "block"
    limit: int = field(init=False, default=0)
    period: int = field(init=False, default=0)

    def __post_init__(self) -> None:
        where = f"policy {self.name!r}"
        if not isinstance(self.name, str) or not _NAME_RE.match(self.name):
            raise InvalidPolicy(
                f"policy name {self.name!r} must be non-empty letters, digits, '_', '-' or '.'"
            )
        if self.algorithm not in ALGORITHMS:
            raise InvalidPolicy(
                f"{where}: unknown algorithm {self.algorithm!r}; choose one of "
                + ", ".join(ALGORITHMS)
            )
        if self.mode not in MODES:
            raise InvalidPolicy(f"{where}: mode must be 'block' or 'log', got {self.mode!r}")
        if self.rate is not None:
            try:
                limit, period = parse_rate(self.rate)
            except InvalidRate as exc:
                raise InvalidPolicy(f"{where}: {exc}") from exc
            object.__setattr__(self, "limit", limit)
            object.__setattr__(self, "period", period)
        if self.burst is not None and (
            isinstance(self.burst, bool) or not isinstance(self.burst, int) or self.burst < 1
        ):
            raise InvalidPolicy(f"{where}: burst must be a positive integer, got {self.burst!r}")
        validate_key(self.key, where)
        for attr in ("paths", "methods", "views"):
            value = getattr(self, attr)
            if isinstance(value, str):
                value = (value,)
            if not all(isinstance(v, str) and v for v in value):
                raise InvalidPolicy(f"{where}: {attr} must be a list of non-empty strings")
            object.__setattr__(self, attr, tuple(value))
        object.__setattr__(self, "methods", tuple(m.upper() for m in self.methods))

    @property
    def unlimited(self) -> bool:
        return self.rate is None

    @property
    def capacity(self) -> int:
        """Most hits admitted at once: the burst for token bucket/GCRA, else the count."""
        if self.algorithm in ("token_bucket", "gcra") and self.burst is not None:
            return self.burst
        return self.limit

    @property
    def scoped(self) -> bool:
        """Whether the middleware applies this policy (it has paths or views)."""
        return bool(self.paths or self.views)

    def replace(self, **changes: Any) -> Policy:
        """A copy with ``changes`` applied (validated again)."""
        return dataclasses.replace(self, **changes)

    @classmethod
    def from_dict(cls, name: str, spec: Mapping[str, Any]) -> Policy:
        """Build a policy from its settings entry; raises :class:`InvalidPolicy`."""
        if not isinstance(spec, Mapping):
            raise InvalidPolicy(f"policy {name!r} must be a dict, got {type(spec).__name__}")
        allowed = {"rate", "algorithm", "burst", "key", "paths", "methods", "views", "mode"}
        unknown = set(spec) - allowed
        if unknown:
            raise InvalidPolicy(
                f"policy {name!r}: unknown option(s) {sorted(unknown)}; known: {sorted(allowed)}"
            )
        if "rate" not in spec:
            raise InvalidPolicy(f"policy {name!r}: 'rate' is required (None means unlimited)")
        kwargs = {k: v for k, v in spec.items() if k != "rate"}
        for attr in ("paths", "methods", "views"):
            if attr in kwargs and isinstance(kwargs[attr], list):
                kwargs[attr] = tuple(kwargs[attr])
        return cls(name, spec["rate"], **kwargs)


def resolve_key(policy: Policy, request: HttpRequest, group: str | None = None) -> str:
    """The counter key of ``request`` under ``policy``'s key convention (django-ratelimit's)."""
    key = policy.key
    # No user (a DRF request authenticated by an OAuth2 client-credentials token sets
    # request.user to None) counts as anonymous.
    user = getattr(request, "user", None)
    if key == "ip" or (key == "user_or_ip" and not getattr(user, "is_authenticated", False)):
        return ip_key(request)
    group = group or policy.name
    if callable(key):
        return str(key(group, request))
    if key == "global":
        return "global"
    try:
        from django_ratelimit.core import _ACCESSOR_KEYS, _SIMPLE_KEYS
    except ImportError as exc:  # pragma: no cover - the throttling extra is not installed
        from forge_suite.core.exceptions import MissingDependency

        raise MissingDependency("django-ratelimit", "throttling", "request keys") from exc
    if key in _SIMPLE_KEYS:
        return str(_SIMPLE_KEYS[key](request))
    if ":" in key:
        accessor, name = key.split(":", 1)
        return str(_ACCESSOR_KEYS[accessor](request, name))
    return str(import_string(key)(group, request))


def ip_key(request: HttpRequest) -> str:
    """The client address behind trusted proxies, masked like django-ratelimit's ``ip`` key.

    ``RATELIMIT_IP_META_KEY``, when set, still wins (django-ratelimit's setting); otherwise
    :func:`forge_suite.core.proxies.client_ip` reads ``FORGE["TRUSTED_PROXIES"]``.
    """
    if getattr(settings, "RATELIMIT_IP_META_KEY", None):
        from django_ratelimit.core import _SIMPLE_KEYS

        return str(_SIMPLE_KEYS["ip"](request))
    ip = client_ip(request)
    if not ip:
        raise ImproperlyConfigured(
            "the client address is empty (REMOTE_ADDR unset, e.g. a Unix socket behind a "
            'proxy): set FORGE["TRUSTED_PROXIES"] so the address comes from the proxy header'
        )
    if ":" in ip:
        return _masked(ip, getattr(settings, "RATELIMIT_IPV6_MASK", 64))
    return _masked(ip, getattr(settings, "RATELIMIT_IPV4_MASK", 32))


@lru_cache(maxsize=4096)
def _masked(ip: str, mask: int) -> str:
    """The network address of ``ip``/``mask`` (cached: parsing costs more than the decision's
    own Python work)."""
    try:
        return str(ipaddress.ip_network(f"{ip}/{mask}", strict=False).network_address)
    except ValueError:
        return ip  # not an address (a test client's name): count it as given
