"""The lazy-export helper and every app package that uses it."""

from __future__ import annotations

import ast
import importlib
import sys
import types
from pathlib import Path

import pytest

from forge_suite.core.exports import lazy_dir, lazy_exports

# Imports every app's public names: left out where an app's extra is not installed.
pytestmark = pytest.mark.needs_apps(
    "forge_suite.seeding",
    "forge_suite.files",
    "forge_suite.mailer",
    "forge_suite.realtime",
    "forge_suite.throttling",
    "forge_suite.eventstore",
    "forge_suite.scheduling",
    "forge_suite.observability",
)

PACKAGES = [
    "forge_suite.core",
    "forge_suite.eventstore",
    "forge_suite.files",
    "forge_suite.mailer",
    "forge_suite.realtime",
    "forge_suite.scheduling",
    "forge_suite.seeding",
    "forge_suite.throttling",
]


def _type_checking_names(package: types.ModuleType) -> set[str]:
    """The names imported under ``if TYPE_CHECKING:`` in the package's ``__init__.py``."""
    tree = ast.parse(Path(str(package.__file__)).read_text())
    names: set[str] = set()
    for node in tree.body:
        if isinstance(node, ast.If) and getattr(node.test, "id", None) == "TYPE_CHECKING":
            for stmt in node.body:
                if isinstance(stmt, ast.ImportFrom):
                    names.update(alias.asname or alias.name for alias in stmt.names)
    return names


@pytest.mark.parametrize("name", PACKAGES)
def test_every_public_name_loads_and_is_typed(name: str) -> None:
    package = importlib.import_module(name)
    exports = package._EXPORTS
    assert set(exports) <= set(package.__all__)
    for public in package.__all__:
        assert getattr(package, public) is not None
    assert set(exports) <= _type_checking_names(package)
    assert set(package.__all__) <= set(dir(package))
    with pytest.raises(AttributeError, match=f"module '{name}' has no attribute 'nope'"):
        package.nope  # noqa: B018


@pytest.fixture
def fake_package(monkeypatch: pytest.MonkeyPatch) -> types.ModuleType:
    module = types.ModuleType("fake_pkg")
    module.__path__ = []
    monkeypatch.setitem(sys.modules, "fake_pkg", module)
    sub = types.ModuleType("fake_pkg.sub")
    sub.value = 1  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "fake_pkg.sub", sub)
    return module


def test_relative_paths_and_no_cache_by_default(fake_package: types.ModuleType) -> None:
    getattr_ = lazy_exports("fake_pkg", {"value": ".sub"})
    assert getattr_("value") == 1
    sys.modules["fake_pkg.sub"].value = 2  # type: ignore[attr-defined]
    assert getattr_("value") == 2
    assert "value" not in vars(fake_package)
    assert lazy_dir("fake_pkg", {"value": ".sub"})() == sorted({*vars(fake_package), "value"})


def test_cache_stores_the_value_in_the_package(fake_package: types.ModuleType) -> None:
    getattr_ = lazy_exports("fake_pkg", {"value": "fake_pkg.sub"}, cache=True)
    assert getattr_("value") == 1
    assert vars(fake_package)["value"] == 1
