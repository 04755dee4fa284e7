"""System checks of the files app."""

from __future__ import annotations

from typing import Any

from django.core.checks import CheckMessage, Error, Warning
from django.core.files.storage import storages

from forge_suite.files.conf import app_settings


def check_files(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    messages: list[CheckMessage] = []
    alias = app_settings.raw("DISK")
    if isinstance(alias, str) and alias not in storages.backends:
        messages.append(
            Error(
                f'FORGE["FILES"]["DISK"] is {alias!r} but STORAGES has no such alias.',
                hint=f"Use one of {', '.join(storages.backends)} or add {alias!r} to STORAGES.",
                id="forge_files.E001",
            )
        )
    if app_settings.raw("TUS_PART_SIZE") < 5 * 1024 * 1024:
        messages.append(
            Warning(
                'FORGE["FILES"]["TUS_PART_SIZE"] is below 5 MiB; S3 refuses smaller multipart '
                "parts (EntityTooSmall) except the last.",
                hint="Leave it at 5 MiB or more when uploads go to S3.",
                id="forge_files.W001",
            )
        )
    variants = app_settings.raw("VARIANTS")
    if isinstance(variants, dict):
        from forge_suite.files.images import FORMATS

        for name, spec in variants.items():
            ops = {"fit", "resize", "crop", "anchor", "format", "quality", "strip"}
            if (
                not isinstance(spec, dict)
                or set(spec) - ops
                or ("format" in spec and str(spec["format"]).lower() not in FORMATS)
            ):
                messages.append(
                    Error(
                        f'FORGE["FILES"]["VARIANTS"][{name!r}] is not a valid variant spec.',
                        hint=f"Use a dict with keys among {', '.join(sorted(ops))} and a format "
                        f"among {', '.join(sorted(FORMATS))}.",
                        id="forge_files.E002",
                    )
                )
    return messages
