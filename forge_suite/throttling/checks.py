"""System checks of ``FORGE["THROTTLING"]`` beyond types: policies, store, bypass secret."""

from __future__ import annotations

import ipaddress
from typing import Any

from django.core.checks import CheckMessage, Error, Tags, Warning, register

from forge_suite.core.conf import forge_settings
from forge_suite.throttling.conf import app_settings
from forge_suite.throttling.exceptions import InvalidPolicy
from forge_suite.throttling.policy import Policy


@register(Tags.compatibility)
def check_throttling(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    messages: list[CheckMessage] = []
    policies = app_settings.raw("POLICIES")
    if isinstance(policies, dict):
        for name, spec in policies.items():
            try:
                Policy.from_dict(name, spec)
            except (InvalidPolicy, TypeError) as exc:
                messages.append(
                    Error(
                        f'FORGE["THROTTLING"]["POLICIES"][{name!r}] is invalid: {exc}',
                        hint="Give a rate like '60/m', a known algorithm and key; see the "
                        "throttling docs for every option.",
                        id="forge_throttling.E001",
                    )
                )
    store = app_settings.raw("STORE")
    if store == "redis" and not (app_settings.raw("REDIS_URL") or forge_settings.REDIS_URL):
        messages.append(
            Error(
                'FORGE["THROTTLING"]["STORE"] is "redis" but no Redis URL is configured.',
                hint='Set FORGE["REDIS_URL"] or use STORE "auto" or "cache".',
                id="forge_throttling.E002",
            )
        )
    header, secret = app_settings.raw("BYPASS_HEADER"), app_settings.raw("BYPASS_SECRET")
    if bool(header) != bool(secret) or (secret and len(str(secret)) < 16):
        messages.append(
            Error(
                "BYPASS_HEADER and BYPASS_SECRET must be set together, with a secret of at "
                "least 16 characters.",
                hint="Generate one with: python -c "
                "'import secrets; print(secrets.token_urlsafe())'",
                id="forge_throttling.E003",
            )
        )
    trusted = app_settings.raw("TRUSTED_IPS")
    if isinstance(trusted, (list, tuple)):
        for cidr in trusted:
            try:
                ipaddress.ip_network(cidr, strict=False)
            except (TypeError, ValueError):
                messages.append(
                    Error(
                        f'FORGE["THROTTLING"]["TRUSTED_IPS"] has an invalid network {cidr!r}.',
                        hint="Use CIDR strings such as '10.0.0.0/8' or '2001:db8::/32'.",
                        id="forge_throttling.E004",
                    )
                )
    if store == "memory":
        messages.append(
            Warning(
                'FORGE["THROTTLING"]["STORE"] is "memory": each process counts on its own.',
                hint="Use Redis (or a shared cache) when you run several processes.",
                id="forge_throttling.W001",
            )
        )
    return messages
