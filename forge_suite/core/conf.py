"""The ``FORGE`` setting: one namespaced dict, per-app sections with documented defaults.

Each app declares its options once::

    app_settings = AppSettings("FILES", {
        "MAX_UPLOAD_SIZE": Option(10 * 1024 * 1024, int, "Largest accepted upload in bytes."),
        "PROCESSOR": Option("myapp.images.Processor", str, import_string=True),
    })

and reads them as attributes (``app_settings.MAX_UPLOAD_SIZE``). Values come from
``settings.FORGE["FILES"]``, fall back to the defaults, are cached, and the cache is dropped
on Django's ``setting_changed`` so ``override_settings(FORGE=...)`` works in tests.
The system check ``forge_core.E001``-``E004`` validates every registered section.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.utils.module_loading import import_string

from forge_suite.core.validators import each, ip_network, non_negative, one_of, positive, url

__all__ = [
    "SECTIONS",
    "AppSettings",
    "Option",
    "forge_settings",
    "get_forge_setting",
    "reload_settings",
]

#: Top-level sections of ``FORGE`` owned by the suite's apps, mapped to the app that reads them.
SECTIONS: dict[str, str] = {
    "SEEDING": "forge_suite.seeding",
    "FILES": "forge_suite.files",
    "MAILER": "forge_suite.mailer",
    "REALTIME": "forge_suite.realtime",
    "THROTTLING": "forge_suite.throttling",
    "EVENTSTORE": "forge_suite.eventstore",
    "SCHEDULING": "forge_suite.scheduling",
    "OBSERVABILITY": "forge_suite.observability",
}

_MISSING = object()


@dataclass(frozen=True)
class Option:
    """One documented setting: its default, the accepted types, and what it is for."""

    default: Any
    types: type | tuple[type, ...]
    doc: str = ""
    import_string: bool = False
    nullable: bool = False
    validator: Callable[[Any], str | None] | None = field(default=None, compare=False)

    def accepted_types(self) -> tuple[type, ...]:
        return self.types if isinstance(self.types, tuple) else (self.types,)

    def type_error(self, value: Any) -> str | None:
        """Return a description of what is wrong with ``value``, or None if it is acceptable."""
        if value is None and self.nullable:
            return None
        types = self.accepted_types()
        # bool is an int subclass; an int option must not silently accept True/False.
        ok = False if isinstance(value, bool) and bool not in types else isinstance(value, types)
        if not ok:
            names = " or ".join(t.__name__ for t in types)
            if self.nullable:
                names += " or None"
            return f"expected {names}, got {type(value).__name__} ({value!r})"
        if self.validator is not None:
            return self.validator(value)
        return None


#: Every AppSettings ever created, by section ("" is the top level), for checks and reloads.
_REGISTRY: dict[str, AppSettings] = {}
_LOCK = threading.Lock()


class AppSettings:
    """Lazy attribute access to one section of ``settings.FORGE`` with defaults."""

    def __init__(self, section: str, options: Mapping[str, Option]) -> None:
        self.section = section
        self.options: dict[str, Option] = dict(options)
        self._cache: dict[str, Any] = {}
        with _LOCK:
            _REGISTRY[section] = self

    def user_values(self) -> Mapping[str, Any]:
        """The raw mapping the user configured for this section (empty if none)."""
        forge = getattr(settings, "FORGE", None) or {}
        if not isinstance(forge, Mapping):
            return {}
        if not self.section:
            return {k: v for k, v in forge.items() if k not in SECTIONS}
        value = forge.get(self.section) or {}
        return value if isinstance(value, Mapping) else {}

    def __getattr__(self, name: str) -> Any:
        if name.startswith("_") or name not in self.options:
            raise AttributeError(f"FORGE{self._where()} has no setting {name!r}")
        cached = self._cache.get(name, _MISSING)
        if cached is not _MISSING:
            return cached
        option = self.options[name]
        value = self.user_values().get(name, option.default)
        if option.import_string and isinstance(value, str):
            value = import_string(value)
        elif option.import_string and isinstance(value, (list, tuple)):
            value = [import_string(v) if isinstance(v, str) else v for v in value]
        self._cache[name] = value
        return value

    def raw(self, name: str) -> Any:
        """The configured value of ``name`` before import strings are resolved."""
        return self.user_values().get(name, self.options[name].default)

    def reload(self) -> None:
        self._cache.clear()

    def _where(self) -> str:
        return f"[{self.section!r}]" if self.section else ""

    def validate(self) -> list[tuple[str, str]]:
        """Return ``(key path, problem)`` pairs for unknown keys and wrong types."""
        problems: list[tuple[str, str]] = []
        prefix = f"FORGE[{self.section!r}]" if self.section else "FORGE"
        for key, value in self.user_values().items():
            path = f"{prefix}[{key!r}]"
            option = self.options.get(key)
            if option is None:
                known = ", ".join(sorted(self.options)) or "none"
                problems.append((path, f"unknown setting {key!r} (known: {known})"))
                continue
            error = option.type_error(value)
            if error:
                problems.append((path, error))
                continue
            if option.import_string:
                for item in value if isinstance(value, (list, tuple)) else [value]:
                    if isinstance(item, str):
                        try:
                            import_string(item)
                        except ImportError as exc:
                            problems.append((path, f"cannot import {item!r}: {exc}"))
        return problems


def registered_sections() -> dict[str, AppSettings]:
    return dict(_REGISTRY)


def reload_settings(*, setting: str, **kwargs: Any) -> None:
    """``setting_changed`` receiver (connected by ``CoreConfig.ready()``): drop cached values."""
    if setting == "FORGE":
        for app_settings in list(_REGISTRY.values()):
            app_settings.reload()


def _check_environment(value: Any) -> str | None:
    if not value.strip():
        return "must be a non-empty name such as 'development' or 'production'"
    return None


def _check_trusted_proxies(value: Any) -> str | None:
    if isinstance(value, int):
        return non_negative(value)
    return each(ip_network)(value)


#: Top-level FORGE options shared by all apps.
forge_settings = AppSettings(
    "",
    {
        "REDIS_URL": Option(
            None,
            str,
            "Redis used for shared atomic state (throttle counters, presence, locks). "
            "None means the apps use their embedded fallbacks.",
            nullable=True,
            validator=url,
        ),
        "ENVIRONMENT": Option(
            None,
            str,
            "Name of the running environment; None means 'development' when DEBUG else "
            "'production'.",
            nullable=True,
            validator=_check_environment,
        ),
        "REDIS_SOCKET_TIMEOUT": Option(
            5.0, (int, float), "Seconds before a Redis connect or command times out."
        ),
        "REDIS_MAX_CONNECTIONS": Option(
            100,
            int,
            "Most connections each Redis pool opens (one sync pool per process and URL, one "
            "async pool per event loop and URL); callers beyond it wait for a free one.",
            validator=positive,
        ),
        "REDIS_POOL_TIMEOUT": Option(
            5.0,
            (int, float),
            "Seconds a caller waits for a free pooled Redis connection before ServiceUnavailable.",
            validator=positive,
        ),
        # Read by forge_suite.core.proxies.client_ip (throttling's ip keys, the access log).
        "TRUSTED_PROXIES": Option(
            None,
            (int, list, tuple),
            "Reverse proxies in front of the application: a hop count (1 = one load balancer) "
            "or a list of their networks (CIDR). None or 0 (default) trusts no header: "
            "REMOTE_ADDR is the client.",
            nullable=True,
            validator=_check_trusted_proxies,
        ),
        "TRUSTED_PROXY_HEADER": Option(
            "X-Forwarded-For",
            str,
            "Header the trusted proxies append the client address to: 'X-Forwarded-For' or "
            "RFC 7239 'Forwarded' (any case).",
            validator=one_of("X-Forwarded-For", "Forwarded", ignore_case=True),
        ),
    },
)


def get_forge_setting(name: str) -> Any:
    """Read a top-level ``FORGE`` option (``REDIS_URL``, ``ENVIRONMENT``, ...)."""
    return getattr(forge_settings, name)


def current_environment() -> str:
    """The environment name: ``FORGE["ENVIRONMENT"]`` or derived from ``DEBUG``."""
    env = forge_settings.ENVIRONMENT
    if env:
        return str(env)
    return "development" if settings.DEBUG else "production"
