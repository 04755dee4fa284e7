"""Run ``mypy --strict`` with the project's mypy configuration, in a subprocess.

Used by the tests that hold the public API to a typed surface (``tests/core/test_typing.py``
for every app, ``tests/seeding/test_structure.py`` for seeding's documented usage).
"""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PACKAGE = ROOT / "forge_suite"


def public_api_modules() -> list[Path]:
    """Every app's public API: ``forge_suite/<app>/__init__.py`` and ``testing.py`` if any."""
    modules: list[Path] = []
    for app in sorted(path.parent for path in PACKAGE.glob("*/apps.py")):
        modules.append(app / "__init__.py")
        if (app / "testing.py").exists():
            modules.append(app / "testing.py")
    return modules


def run_mypy_strict(targets: Sequence[Path | str], *options: str) -> tuple[int, str]:
    """``(exit status, mypy's stdout + stderr)`` of one strict mypy run over ``targets``.

    The django-stubs plugin imports ``tests.settings``, so mypy runs from the project root.
    """
    command = [
        sys.executable,
        "-m",
        "mypy",
        "--strict",
        "--config-file",
        str(ROOT / "pyproject.toml"),
        *options,
        *(str(target) for target in targets),
    ]
    done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, check=False)
    return done.returncode, done.stdout + done.stderr
