"""Pick a mailer (an email backend instance) by alias on every supported Django version.

Django 6.1 has named mailers (``MAILERS`` + ``django.core.mail.mailers[alias]``). Django 5.2 and
6.0 have one ``EMAIL_BACKEND`` and ``get_connection()``. This adapter gives both the same shape,
like ``STORAGES`` aliases are the files app's disks:

- on 6.1, ``mailers[alias]`` answers first;
- ``FORGE["MAILER"]["MAILERS"]`` (same shape as 6.1's ``MAILERS``) adds aliases on any version;
- on 5.2/6.0 the alias ``default`` with no such entry is ``get_connection()`` (``EMAIL_BACKEND``).

Reading deprecated ``EMAIL_*`` settings or passing ``connection=`` is never needed, so nothing
here warns on 6.1.
"""

from __future__ import annotations

from typing import Any

import django.core.mail
from django.core.mail.backends.base import BaseEmailBackend
from django.utils.module_loading import import_string

from forge_suite.mailer.conf import app_settings
from forge_suite.mailer.exceptions import MailerDoesNotExist

__all__ = ["get_mailer", "has_native_mailers", "mailer_aliases"]

SMTP_BACKEND = "django.core.mail.backends.smtp.EmailBackend"


def has_native_mailers() -> bool:
    """True on Django versions with named mailers (6.1+)."""
    return hasattr(django.core.mail, "mailers")


def _native(alias: str) -> BaseEmailBackend | None:
    mailers: Any = getattr(django.core.mail, "mailers")  # noqa: B009 - absent before 6.1
    try:
        backend: BaseEmailBackend = mailers[alias]
        return backend
    except Exception as exc:
        # MailerDoesNotExist (unknown alias) lets our own aliases answer; anything else is real.
        if type(exc).__name__ == "MailerDoesNotExist":
            return None
        raise


def get_mailer(alias: str | None = None) -> BaseEmailBackend:
    """A backend instance for ``alias`` (``DEFAULT_MAILER`` when None).

    Raises :class:`~forge_suite.mailer.exceptions.MailerDoesNotExist` for an unknown alias.
    """
    alias = alias or app_settings.DEFAULT_MAILER
    spec = app_settings.MAILERS.get(alias)
    if has_native_mailers() and spec is None:
        backend = _native(alias)
        if backend is not None:
            return backend
    if spec is None:
        if alias == "default" and not has_native_mailers():
            return django.core.mail.get_connection(fail_silently=False)
        known = ", ".join(mailer_aliases()) or "none"
        raise MailerDoesNotExist(
            f"No mailer {alias!r} is configured (known: {known}). Add it to "
            "FORGE['MAILER']['MAILERS'] (or Django 6.1's MAILERS)."
        )
    backend_cls = import_string(spec.get("BACKEND") or SMTP_BACKEND)
    options = dict(spec.get("OPTIONS") or {})
    if has_native_mailers() or getattr(backend_cls, "forge_wants_alias", False):
        # Django 6.1 backends built with an alias read their OPTIONS, never the deprecated
        # EMAIL_* settings (which raise AttributeError once MAILERS is set).
        options["alias"] = alias
    # fail_silently is not passed: False is every backend's default, and Django 6.1 rejects it
    # as an unknown option of a backend built with an alias (and deprecates it elsewhere).
    instance: BaseEmailBackend = backend_cls(**options)
    return instance


def mailer_aliases() -> list[str]:
    """Every alias that :func:`get_mailer` knows about."""
    aliases = set(app_settings.MAILERS)
    if has_native_mailers():
        from django.conf import settings

        aliases.update(getattr(settings, "MAILERS", None) or {"default": {}})
    else:
        aliases.add("default")
    return sorted(aliases)
