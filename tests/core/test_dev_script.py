"""scripts/dev.py: survives tox's .venv file, says what JS tests it cannot run, checks Django."""

from __future__ import annotations

import importlib.util
import shutil
from pathlib import Path
from types import ModuleType

import django
import pytest

SCRIPT = Path(__file__).resolve().parents[2] / "scripts" / "dev.py"


@pytest.fixture
def dev(monkeypatch: pytest.MonkeyPatch) -> ModuleType:
    monkeypatch.delenv("FORGE_VENV", raising=False)
    spec = importlib.util.spec_from_file_location("forge_dev_script", SCRIPT)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_a_venv_file_left_by_tox_does_not_crash_it(dev: ModuleType, tmp_path: Path) -> None:
    """tox 4 writes a `.venv` *file*; dev.py used to die on it with NotADirectoryError."""
    dev.ROOT = tmp_path
    assert dev.default_venv() == tmp_path / ".venv"
    (tmp_path / ".venv").write_text(".tox/py313-django61")
    assert dev.default_venv() == tmp_path / ".forge-venv"
    (tmp_path / ".venv").unlink()
    (tmp_path / ".venv").mkdir()
    assert dev.default_venv() == tmp_path / ".venv"


def _js_dir(tmp_path: Path) -> Path:
    folder = tmp_path / "tests" / "realtime" / "js"
    folder.mkdir(parents=True)
    (folder / "package.json").write_text('{"name": "t", "version": "1.0.0", "private": true}')
    (folder / "package-lock.json").write_text(
        '{"name": "t", "version": "1.0.0", "lockfileVersion": 3, "requires": true,'
        ' "packages": {"": {"name": "t", "version": "1.0.0"}}}'
    )
    return folder


def test_missing_node_is_said_loudly(
    dev: ModuleType, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture
) -> None:
    dev.ROOT = tmp_path
    dev.JS_DIRS = [_js_dir(tmp_path)]
    monkeypatch.setattr(shutil, "which", lambda name: None)
    skipped = dev.ensure_js()
    assert len(skipped) == 1
    assert "Node.js and npm are not installed" in skipped[0]
    assert "SKIPPED the JavaScript tests in tests/realtime/js" in capsys.readouterr().out
    monkeypatch.setenv("CI", "true")
    assert dev.cmd_js([]) == 1  # CI never passes without them


def test_npm_ci_runs_once_per_lockfile(dev: ModuleType, tmp_path: Path) -> None:
    dev.ROOT = tmp_path
    folder = _js_dir(tmp_path)
    dev.JS_DIRS = [folder]
    assert dev.ensure_js() == []
    stamps = list((folder / "node_modules").glob(".forge-lock-*"))
    assert len(stamps) == 1
    stamps[0].write_text("seen")
    assert dev.ensure_js() == []
    assert stamps[0].read_text() == "seen"  # unchanged lockfile: no second npm ci


def test_django_version_check(dev: ModuleType, monkeypatch: pytest.MonkeyPatch) -> None:
    running = ".".join(map(str, django.VERSION[:2]))
    monkeypatch.setenv("FORGE_EXPECT_DJANGO", running)
    assert dev.cmd_django_version([]) == 0
    monkeypatch.setenv("FORGE_EXPECT_DJANGO", "4.0")
    assert dev.cmd_django_version([]) == 1
