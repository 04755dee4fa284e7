"""pyproject classifiers, tox.ini and the docs name the same Django versions."""

from __future__ import annotations

import configparser
import re
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def _tox() -> configparser.ConfigParser:
    parser = configparser.ConfigParser(interpolation=None)
    parser.read(ROOT / "tox.ini")
    return parser


def _tox_versions() -> set[str]:
    """``django52`` and ``django{60,61}`` in env_list -> {"5.2", "6.0", "6.1"}."""
    found = set()
    for group in re.findall(r"django\{?([\d,]+)\}?", _tox()["tox"]["env_list"]):
        found |= {f"{f[0]}.{f[1:]}" for f in group.split(",")}
    return found


def test_classifiers_tox_and_docs_agree() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    classified = {
        c.rsplit("::", 1)[1].strip()
        for c in project["classifiers"]
        if re.fullmatch(r"Framework :: Django :: [\d.]+", c)
    }
    assert classified == _tox_versions()
    docs = (ROOT / "docs" / "installation.md").read_text()
    for version in classified:
        assert f"Django {version}" in docs, version


def test_every_test_env_checks_the_django_it_names() -> None:
    env = _tox()["testenv"]
    assert env["constrain_package_deps"].strip() == "true"
    assert env["use_frozen_constraints"].strip() == "true"
    assert "scripts/dev.py django-version" in env["commands_pre"]
    for version in _tox_versions():
        factor = "django" + version.replace(".", "")
        assert f"{factor}: FORGE_EXPECT_DJANGO = {version}" in env["set_env"]
        assert re.search(rf"{factor}: Django>={version},<", env["deps"]), factor
