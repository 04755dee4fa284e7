"""What counts as a secret, and how to take one out of free text (URLs in messages and reprs).

Shared by the Sentry ``before_send`` (:mod:`forge_suite.observability.sentry`) and the log
formatters (:mod:`forge_suite.observability.logs`), so an event and a log line hide the same
things.
"""

from __future__ import annotations

import re

__all__ = ["FILTERED", "SENSITIVE_KEYS", "is_sensitive", "scrub_text"]

#: Key fragments (lower case) whose values are always replaced by ``FILTERED``.
SENSITIVE_KEYS: tuple[str, ...] = (
    "password",
    "passwd",
    "pwd",
    "secret",
    "token",
    "api_key",
    "apikey",
    "auth",
    "credential",
    "cookie",
    "session",
    "csrf",
    "private_key",
    "card",
    "cvv",
    "cvc",
    "iban",
    "ssn",
    "email",
    "phone",
    "remote_addr",
    "x_forwarded_for",
    "x-forwarded-for",
    "x_real_ip",
    "ip_address",
)
FILTERED = "[Filtered]"
_EMAIL = re.compile(r"[\w.+-]+@[\w-]+\.[\w.-]+")
# name=value after ? & or ; as found in URLs, request reprs and request lines; the value stops at
# the next separator, whitespace, quote or bracket.
_QUERY_PARAM = re.compile(r"(?P<lead>[?&;])(?P<name>[^=&?;\s'\"<>#]+)=(?P<value>[^&;?\s'\"<>#]*)")


def is_sensitive(key: object, keys: tuple[str, ...] = SENSITIVE_KEYS) -> bool:
    """True when ``key`` contains one of the sensitive fragments (case-insensitive)."""
    lowered = str(key).lower()
    return any(fragment in lowered for fragment in keys)


def scrub_text(text: str, keys: tuple[str, ...] = SENSITIVE_KEYS) -> str:
    """``text`` with sensitive query parameters' values and e-mail addresses filtered.

    ``"<WSGIRequest: GET '/pay?token=abc&page=2'>"`` becomes
    ``"<WSGIRequest: GET '/pay?token=[Filtered]&page=2'>"``.
    """

    def param(match: re.Match[str]) -> str:
        if is_sensitive(match["name"], keys) and match["value"]:
            return f"{match['lead']}{match['name']}={FILTERED}"
        return match[0]

    return _EMAIL.sub(FILTERED, _QUERY_PARAM.sub(param, text))
