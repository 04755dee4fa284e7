"""System checks for the ``FORGE`` setting, registered by ``CoreConfig.ready()``."""

from __future__ import annotations

import contextlib
from collections.abc import Mapping
from importlib import import_module
from typing import Any

from django.apps import apps
from django.conf import settings
from django.core.checks import CheckMessage, Error, Warning

from forge_suite.core.conf import SECTIONS, forge_settings, registered_sections

__all__ = ["check_forge_setting"]


def check_forge_setting(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    """Reject unknown keys and wrong types anywhere in ``settings.FORGE``."""
    messages: list[CheckMessage] = []
    forge = getattr(settings, "FORGE", None)
    if forge is None:
        return messages
    if not isinstance(forge, Mapping):
        return [
            Error(
                f"settings.FORGE must be a dict, not {type(forge).__name__}.",
                hint='Define FORGE = {"REDIS_URL": ..., "FILES": {...}} or remove it.',
                id="forge_core.E001",
            )
        ]
    # Make sure every installed app's conf module has registered its section.
    for module in SECTIONS.values():
        if apps.is_installed(module):
            with contextlib.suppress(ImportError):
                import_module(f"{module}.conf")
    known_top = set(forge_settings.options) | set(SECTIONS)
    for key in forge:
        if key not in known_top:
            messages.append(
                Error(
                    f"FORGE[{key!r}] is not a Forge Suite setting.",
                    hint=(
                        "Known top-level keys: "
                        + ", ".join(sorted(known_top))
                        + ". Check the spelling or remove the key."
                    ),
                    obj="settings.FORGE",
                    id="forge_core.E002",
                )
            )
    sections = registered_sections()
    for section, module in SECTIONS.items():
        if section not in forge:
            continue
        value = forge[section]
        if not isinstance(value, Mapping):
            messages.append(
                Error(
                    f"FORGE[{section!r}] must be a dict, not {type(value).__name__}.",
                    hint=f"Write FORGE[{section!r}] = {{...}} with the options of {module}.",
                    obj="settings.FORGE",
                    id="forge_core.E001",
                )
            )
            continue
        if not apps.is_installed(module):
            messages.append(
                Warning(
                    f"FORGE[{section!r}] is configured but {module} is not in INSTALLED_APPS.",
                    hint=f"Add {module!r} to INSTALLED_APPS or remove FORGE[{section!r}].",
                    obj="settings.FORGE",
                    id="forge_core.W001",
                )
            )
            continue
    for section, app_settings in sections.items():
        if section and (section not in forge or not isinstance(forge[section], Mapping)):
            continue
        for path, problem in app_settings.validate():
            unknown = problem.startswith("unknown setting")
            if unknown and not section:
                continue  # reported above as forge_core.E002
            if unknown:
                messages.append(
                    Error(
                        f"{path}: {problem}.",
                        hint="Check the spelling against the configuration reference.",
                        obj="settings.FORGE",
                        id="forge_core.E003",
                    )
                )
            else:
                messages.append(
                    Error(
                        f"{path}: {problem}.",
                        hint="See the configuration reference for the accepted values.",
                        obj="settings.FORGE",
                        id="forge_core.E004",
                    )
                )
    return messages
