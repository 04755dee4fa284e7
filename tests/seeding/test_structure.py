"""The seeding package's shape: factory_boy internals behind one adapter, no import circle."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import factory
import pytest

from forge_suite.seeding import adapter
from tests.support.typecheck import run_mypy_strict

PACKAGE = Path(__file__).resolve().parents[2] / "forge_suite" / "seeding"


def module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def modules() -> dict[str, Path]:
    return {
        module_name(path): path for path in PACKAGE.rglob("*.py") if "migrations" not in path.parts
    }


def module_level_imports(path: Path, known: set[str]) -> set[str]:
    """Suite modules imported when ``path`` is imported (not in functions or TYPE_CHECKING)."""
    found: set[str] = set()
    tree = ast.parse(path.read_text())
    nodes = list(tree.body)
    while nodes:
        node = nodes.pop()
        if isinstance(node, ast.If):
            if "TYPE_CHECKING" in ast.unparse(node.test):
                nodes.extend(node.orelse)
            else:
                nodes.extend(node.body + node.orelse)
        elif isinstance(node, ast.Try):
            nodes.extend(node.body)
        elif isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names if alias.name in known)
        elif isinstance(node, ast.ImportFrom) and node.module:
            for alias in node.names:
                candidate = f"{node.module}.{alias.name}"
                if candidate in known:
                    found.add(candidate)
                elif node.module in known:
                    found.add(node.module)
    return found


def test_no_import_cycle_between_seeding_modules() -> None:
    found = modules()
    graph = {name: module_level_imports(path, set(found)) for name, path in found.items()}
    cycles = []

    def visit(name: str, trail: list[str]) -> None:
        if name in trail:
            cycles.append(" -> ".join([*trail[trail.index(name) :], name]))
            return
        for target in sorted(graph.get(name, ())):
            visit(target, [*trail, name])

    for name in sorted(graph):
        visit(name, [])
    assert not cycles, cycles


def test_no_module_over_550_lines() -> None:
    sizes = {name: len(path.read_text().splitlines()) for name, path in modules().items()}
    assert not {name: n for name, n in sizes.items() if n > 550}


def test_factory_boy_internals_are_used_only_by_the_adapter() -> None:
    # A factory's ``_meta`` (a model's ``_meta`` is Django's public API) and other internals.
    private = re.compile(
        r"(factory_class|new_class|found|_meta)\._meta|\._defaults|\._counter|_get_faker"
        r"|_DEFAULT_LOCALE|_UNSPECIFIED|_FactoryWrapper|base_declarations"
    )
    users = {
        name
        for name, path in modules().items()
        if name != "forge_suite.seeding.adapter" and private.search(path.read_text())
    }
    assert not users


def test_the_factory_boy_internals_the_adapter_relies_on_still_exist() -> None:
    # Fails loudly, naming what moved, when a factory_boy release changes its internals.
    problems = adapter.self_check()
    assert problems == [], f"factory_boy {factory.__version__} changed: {problems}"


def test_self_check_reports_a_missing_internal(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delattr(factory.Faker, "_DEFAULT_LOCALE")
    problems = adapter.self_check()
    assert any("Faker._DEFAULT_LOCALE" in p for p in problems), problems


def test_manage_py_check_names_a_changed_factory_boy(monkeypatch: pytest.MonkeyPatch) -> None:
    from forge_suite.seeding.checks import check_factory_boy

    assert check_factory_boy() == []
    monkeypatch.setattr(adapter, "UNSPECIFIED", object())
    (error,) = check_factory_boy()
    assert error.id == "forge_seeding.E001"
    assert "SelfAttribute default" in error.msg


USAGE = """
from typing import assert_type

from forge_suite.seeding import (
    BulkResult, Factory, FactoryBuilder, HasMany, HasOne, SeedSession, Seeder, UniqueFaker,
    bulk_create, run_seeders, sample, seeded,
)
from forge_suite.seeding.seeders import SeedReport
from forge_suite.seeding.testing import assert_factory_valid, seeded as test_seeded


class TagFactory(Factory):
    class Meta:
        model = "blog.Tag"

    name = UniqueFaker("word")
    posts = HasMany("blog.factories.PostFactory", fk="author")
    profile = HasOne("accounts.factories.ProfileFactory", fk="user")


class TagSeeder(Seeder):
    def run(self) -> None:
        assert_type(TagFactory.bulk(self.count(3)), BulkResult)


assert_type(TagFactory.states("x"), FactoryBuilder)
assert_type(TagFactory.builder().set(name="a").with_("posts", 2), FactoryBuilder)
assert_type(bulk_create(TagFactory, 2, tags=sample([1, 2], k=(1, 2))), BulkResult)
assert_type(run_seeders([TagSeeder], seed=1), SeedReport)
with seeded(1) as session:
    assert_type(session, SeedSession)
with test_seeded(1) as run:
    assert_type(run.rows["blog.Tag"], int)
assert_factory_valid(TagFactory, 5, bulk=True)
"""


@pytest.mark.slow
def test_public_api_is_typed_for_mypy_strict(tmp_path: Path) -> None:
    usage = tmp_path / "usage.py"
    usage.write_text(USAGE)
    status, output = run_mypy_strict([usage], "--follow-imports=silent")
    assert status == 0, output
