"""The metrics interface in core: a typed protocol, a no-op default, one installed one."""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

from forge_suite.core import metrics as core_metrics
from forge_suite.core.metrics import (
    NullMetrics,
    SuiteMetrics,
    install_metrics,
    metrics,
    suite_metrics,
)

ROOT = Path(__file__).resolve().parents[2] / "forge_suite"


def value(name: str, labels: dict[str, str]) -> float:
    from prometheus_client import REGISTRY

    return REGISTRY.get_sample_value(name, labels) or 0.0


@pytest.fixture
def no_metrics() -> Iterator[None]:
    previous = install_metrics(NullMetrics())
    yield
    install_metrics(previous)


@pytest.mark.needs_apps("forge_suite.observability")
def test_observability_installs_its_implementation_from_ready() -> None:
    from forge_suite.observability.metrics import prometheus_metrics

    assert metrics() is prometheus_metrics
    before = value("forge_throttle_decisions_total", {"policy": "core-test", "outcome": "limited"})
    metrics().record_throttle_decision("core-test", allowed=False)
    after = value("forge_throttle_decisions_total", {"policy": "core-test", "outcome": "limited"})
    assert after == before + 1


def test_the_default_records_nothing_and_needs_no_if(no_metrics: None) -> None:
    assert isinstance(metrics(), NullMetrics)
    assert metrics().record_throttle_decision("core-null", allowed=True) is None
    assert metrics().record_job("q", "t", "success", 0.1) is None


@pytest.mark.needs_apps("forge_suite.observability")
def test_nothing_reaches_prometheus_while_null_is_installed(no_metrics: None) -> None:
    labels = {"policy": "core-null", "outcome": "allowed"}
    before = value("forge_throttle_decisions_total", labels)
    metrics().record_throttle_decision("core-null", allowed=True)
    assert value("forge_throttle_decisions_total", labels) == before


def test_the_deprecated_shim_keeps_old_callers_working(no_metrics: None) -> None:
    with pytest.warns(DeprecationWarning, match=r"metrics\(\)"):
        assert suite_metrics() is None
    recorded: list[str] = []

    class Recorder(NullMetrics):
        def record_mail(self, provider: str, status: str) -> None:
            recorded.append(status)

    recorder = Recorder()
    install_metrics(recorder)
    with pytest.warns(DeprecationWarning, match="deprecated"):
        shim = suite_metrics()
    assert shim is recorder
    shim.record_mail("smtp", "sent")
    assert recorded == ["sent"]


def test_install_refuses_what_is_not_a_suite_metrics() -> None:
    class Partial:
        def record_job(
            self, queue: str, task: str, state: str, runtime: float | None = None
        ) -> None:
            pass

    with pytest.raises(TypeError, match="SuiteMetrics"):
        install_metrics(Partial())  # type: ignore[arg-type]
    assert isinstance(metrics(), SuiteMetrics)


def test_the_protocol_lists_every_method_the_apps_call() -> None:
    """Every ``<metrics>.record_x(...)``/``ws_*`` call in forge_suite is a protocol method."""
    declared = {name for name in vars(SuiteMetrics) if not name.startswith("_")}
    called: set[str] = set()
    for path in ROOT.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if (
                isinstance(node, ast.Attribute)
                and "metric" in ast.unparse(node.value).lower()
                and (node.attr.startswith("record_") or node.attr.startswith("ws_connection_"))
            ):
                called.add(node.attr)
    assert called, "the scan found no metrics call at all"
    assert called <= declared, sorted(called - declared)
    assert declared <= set(vars(NullMetrics)), "NullMetrics misses a protocol method"


def test_core_does_not_import_observability() -> None:
    source = Path(core_metrics.__file__).read_text()
    assert "observability" not in {
        part
        for node in ast.walk(ast.parse(source))
        if isinstance(node, ast.ImportFrom | ast.Import)
        for alias in (node.names if isinstance(node, ast.Import) else [node])
        for part in (getattr(alias, "name", None) or getattr(alias, "module", "") or "").split(".")
    }
