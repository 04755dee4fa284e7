"""System checks of seeding (``manage.py check``)."""

from __future__ import annotations

from typing import Any

from django.core.checks import CheckMessage, Error

__all__ = ["check_factory_boy"]


def check_factory_boy(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    """forge_seeding.E001: the installed factory_boy still has the internals the bulk path reads."""
    try:
        import factory
    except ImportError:
        return [
            Error(
                "forge_suite.seeding is installed but factory_boy is not.",
                hint='pip install "forge-suite[seeding]"',
                id="forge_seeding.E002",
            )
        ]
    from forge_suite.seeding.adapter import self_check

    problems = self_check()
    if not problems:
        return []
    return [
        Error(
            f"factory_boy {factory.__version__} changed internals that forge_suite.seeding "
            f"reads: {'; '.join(problems)}",
            hint='Install a supported release: pip install "factory-boy>=3.3,<3.4".',
            id="forge_seeding.E001",
        )
    ]
