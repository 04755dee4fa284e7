"""System checks of the mailer app."""

from __future__ import annotations

from typing import Any

from django.core import checks

from forge_suite.mailer.conf import app_settings


@checks.register(checks.Tags.compatibility)
def check_mailers(app_configs: Any = None, **kwargs: Any) -> list[checks.CheckMessage]:
    """Every composite mailer names known aliases; the default alias exists."""
    from forge_suite.mailer.mailers import mailer_aliases

    errors: list[checks.CheckMessage] = []
    known = set(mailer_aliases())
    if app_settings.DEFAULT_MAILER not in known:
        errors.append(
            checks.Error(
                f"FORGE['MAILER']['DEFAULT_MAILER'] is {app_settings.DEFAULT_MAILER!r}, "
                "which is not a configured mailer.",
                hint=f"Use one of: {', '.join(sorted(known))}.",
                id="forge_mailer.E001",
            )
        )
    for alias, spec in app_settings.MAILERS.items():
        names = (spec.get("OPTIONS") or {}).get("mailers")
        if names is None:
            continue
        missing = [n for n in names if n not in known or n == alias]
        if missing:
            errors.append(
                checks.Error(
                    f"Mailer {alias!r} lists unknown or self-referencing mailers: {missing}.",
                    hint="Name other aliases of FORGE['MAILER']['MAILERS'].",
                    id="forge_mailer.E002",
                )
            )
    from forge_suite.mailer.mailers import has_native_mailers

    if has_native_mailers() and app_settings.MAILERS:
        errors.append(
            checks.Warning(
                "FORGE['MAILER']['MAILERS'] is set on a Django version with named mailers.",
                hint="Move these entries to Django's MAILERS setting: Django then builds the "
                "backends (with their alias) and the mailer picks them by the same names.",
                id="forge_mailer.W001",
            )
        )
    if not app_settings.BASE_URL.startswith(("http://", "https://")):
        errors.append(
            checks.Error(
                "FORGE['MAILER']['BASE_URL'] must be an absolute http(s) URL.",
                hint="Set it to your site's public URL, such as 'https://example.com'.",
                id="forge_mailer.E003",
            )
        )
    return errors
