"""Lazy public names for the app packages.

Every ``forge_suite.<app>/__init__.py`` re-exports its public API (``from forge_suite.files
import disk``), but importing those modules eagerly would import models before Django's app
registry is ready (the package is imported when it is listed in ``INSTALLED_APPS``) and would
load optional libraries (factory_boy, channels, redis) nobody asked for. So each package maps
its public names to the modules that define them and loads them on first use::

    from typing import TYPE_CHECKING

    from forge_suite.core.exports import lazy_dir, lazy_exports

    if TYPE_CHECKING:  # type checkers see the real, typed names
        from forge_suite.files.disks import disk

    __all__ = ["disk"]
    _EXPORTS = {"disk": "forge_suite.files.disks"}
    __getattr__ = lazy_exports(__name__, _EXPORTS)
    __dir__ = lazy_dir(__name__, _EXPORTS)
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Mapping
from importlib import import_module
from typing import Any

__all__ = ["lazy_dir", "lazy_exports"]


def lazy_exports(
    package_name: str, exports: Mapping[str, str], *, cache: bool = False
) -> Callable[[str], Any]:
    """Return a module ``__getattr__`` that imports ``exports[name]`` and returns its ``name``.

    ``exports`` maps each public name to the dotted path of the module defining it (a path
    starting with ``.`` is relative to ``package_name``). An unknown name raises the usual
    ``AttributeError``. With ``cache=True`` the loaded value is stored in the package so later
    lookups skip the hook (then patching the defining module no longer shows through).
    """

    def __getattr__(name: str) -> Any:
        module = exports.get(name)
        if module is None:
            raise AttributeError(f"module {package_name!r} has no attribute {name!r}")
        value = getattr(import_module(module, package_name), name)
        if cache:
            setattr(sys.modules[package_name], name, value)
        return value

    return __getattr__


def lazy_dir(package_name: str, exports: Mapping[str, str]) -> Callable[[], list[str]]:
    """Return a module ``__dir__`` listing the loaded attributes and the lazy public names."""

    def __dir__() -> list[str]:
        return sorted({*vars(sys.modules[package_name]), *exports})

    return __dir__
