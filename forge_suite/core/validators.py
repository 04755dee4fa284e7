"""Option validators shared by every app's ``conf.py``.

Each takes the configured value (already type-checked by :class:`~forge_suite.core.conf.Option`)
and returns ``None`` when it is acceptable or a short description of the problem, which the
``forge_core.E004`` check prints after the key path::

    "TIMEOUT": Option(3.0, (int, float), "Seconds to wait.", validator=positive),
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Callable
from typing import Any

from forge_suite.core.rates import RATE_FORMS, parse_rate

__all__ = [
    "Validator",
    "dotted_path",
    "each",
    "ip_network",
    "non_empty",
    "non_negative",
    "one_of",
    "positive",
    "rate",
    "url",
]

#: What ``Option(validator=...)`` accepts.
Validator = Callable[[Any], "str | None"]

_DOTTED = re.compile(r"^[A-Za-z_]\w*(\.[A-Za-z_]\w*)+$")


def positive(value: Any) -> str | None:
    """A number greater than 0 (timeouts, sizes, counts)."""
    return None if value > 0 else f"must be greater than 0, got {value!r}"


def non_negative(value: Any) -> str | None:
    """A number of 0 or more (0 usually meaning "off" or "at once")."""
    return None if value >= 0 else f"must be 0 or more, got {value!r}"


def url(value: Any) -> str | None:
    """A URL with a scheme, such as ``redis://127.0.0.1:6379/0``."""
    if "://" not in str(value):
        return f"expected a URL such as redis://127.0.0.1:6379/0, got {value!r}"
    return None


def dotted_path(value: Any) -> str | None:
    """A dotted import path such as ``myproject.module.Class`` (importability is checked apart)."""
    if not isinstance(value, str) or not _DOTTED.match(value):
        return f"expected a dotted import path such as 'myproject.module.Class', got {value!r}"
    return None


def non_empty(value: Any) -> str | None:
    """A string with something other than whitespace in it."""
    return None if str(value).strip() else "must not be empty"


def rate(value: Any) -> str | None:
    """A rate in the suite's one syntax (:func:`forge_suite.core.rates.parse_rate`)."""
    try:
        parse_rate(value)
    except ValueError as exc:
        return str(exc) if RATE_FORMS in str(exc) else f"{exc}; expected {RATE_FORMS}"
    return None


def ip_network(value: Any) -> str | None:
    """An IP address or network in CIDR form (``10.0.0.0/8``, ``fd00::/8``, ``192.0.2.1``)."""
    try:
        ipaddress.ip_network(str(value), strict=False)
    except ValueError:
        return f"{value!r} is not an IP network such as '10.0.0.0/8'"
    return None


def one_of(*choices: Any, ignore_case: bool = False) -> Validator:
    """A validator accepting only ``choices`` (compared case-insensitively if ``ignore_case``)."""
    folded = {str(c).casefold() for c in choices}

    def check(value: Any) -> str | None:
        if value in choices or (ignore_case and str(value).casefold() in folded):
            return None
        return f"must be one of {', '.join(repr(c) for c in choices)}, got {value!r}"

    return check


def each(validator: Validator) -> Validator:
    """Apply ``validator`` to every item of a list or tuple option; the first problem wins."""

    def check(value: Any) -> str | None:
        for index, item in enumerate(value):
            problem = validator(item)
            if problem:
                return f"item {index}: {problem}"
        return None

    return check
