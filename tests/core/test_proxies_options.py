"""``FORGE["TRUSTED_PROXIES"]`` and ``FORGE["TRUSTED_PROXY_HEADER"]`` are core options.

They are checked by ``manage.py check`` whichever apps are installed, not only once a module
that reads them happens to be imported (throttling's checks, observability's middleware).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from django.core.checks import run_checks
from django.test import override_settings

# Runs `check` with observability and with throttling installed.
pytestmark = pytest.mark.needs_apps("forge_suite.observability", "forge_suite.throttling")

ROOT = Path(__file__).resolve().parents[2]


def manage_py_check(
    forge: dict[str, Any], app: str = "forge_suite.observability"
) -> subprocess.CompletedProcess[str]:
    """``manage.py check`` in a fresh process with only the core and ``app`` installed."""
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "tests.core.proxies_settings",
        "FORGE_TEST_FORGE_JSON": json.dumps(forge),
        "FORGE_TEST_EXTRA_APP": app,
    }
    code = "import sys, django.core.management as m; m.execute_from_command_line(sys.argv)"
    return subprocess.run(
        [sys.executable, "-c", code, "check"],
        capture_output=True,
        text=True,
        timeout=120,
        env=env,
        cwd=ROOT,
    )


@pytest.mark.parametrize(
    "forge",
    [
        {"TRUSTED_PROXIES": 1},
        {"TRUSTED_PROXIES": 0},
        {"TRUSTED_PROXIES": ["10.0.0.0/8", "fd00::/8"], "TRUSTED_PROXY_HEADER": "Forwarded"},
    ],
)
def test_good_values_pass_check_without_throttling(forge: dict[str, Any]) -> None:
    out = manage_py_check(forge)
    assert out.returncode == 0, out.stderr
    assert "no issues" in out.stdout


@pytest.mark.parametrize(
    ("forge", "key"),
    [
        ({"TRUSTED_PROXIES": "abc"}, "TRUSTED_PROXIES"),
        ({"TRUSTED_PROXIES": -1}, "TRUSTED_PROXIES"),
        ({"TRUSTED_PROXIES": ["not-a-network"]}, "TRUSTED_PROXIES"),
        ({"TRUSTED_PROXY_HEADER": "X-Real-IP"}, "TRUSTED_PROXY_HEADER"),
    ],
)
def test_bad_values_are_reported_naming_the_key_without_throttling(
    forge: dict[str, Any], key: str
) -> None:
    out = manage_py_check(forge)
    assert out.returncode != 0
    assert f"FORGE['{key}']" in out.stderr
    assert "forge_core.E004" in out.stderr
    assert "Traceback" not in out.stderr


def test_throttling_alone_reports_a_bad_value_too() -> None:
    out = manage_py_check({"TRUSTED_PROXIES": ["not-a-network"]}, app="forge_suite.throttling")
    assert out.returncode != 0
    assert "FORGE['TRUSTED_PROXIES']: item 0: 'not-a-network' is not an IP network" in out.stderr
    assert manage_py_check({"TRUSTED_PROXIES": 1}, app="forge_suite.throttling").returncode == 0


@pytest.mark.parametrize(
    ("value", "fragment"),
    [
        ("abc", "expected int or list or tuple or None"),
        (-1, "must be 0 or more"),
        (True, "expected int or list or tuple or None"),
        (["10.0.0.0/8", "not-a-network"], "'not-a-network' is not an IP network"),
        (["10.0.0.0/33"], "'10.0.0.0/33' is not an IP network"),
    ],
)
def test_bad_values_are_reported_in_the_full_suite(value: Any, fragment: str) -> None:
    # The test settings install throttling and observability: same report as without them.
    with override_settings(FORGE={"TRUSTED_PROXIES": value}):
        messages = [m.msg for m in run_checks() if m.id == "forge_core.E004"]
    assert len(messages) == 1
    assert messages[0].startswith("FORGE['TRUSTED_PROXIES']: ")
    assert fragment in messages[0]


def test_header_must_be_one_of_the_two_supported() -> None:
    with override_settings(FORGE={"TRUSTED_PROXY_HEADER": "x-forwarded-for"}):
        assert [m for m in run_checks() if m.id and m.id.startswith("forge_core")] == []
    with override_settings(FORGE={"TRUSTED_PROXY_HEADER": "X-Real-IP"}):
        messages = [m.msg for m in run_checks() if m.id == "forge_core.E004"]
    assert len(messages) == 1
    assert "FORGE['TRUSTED_PROXY_HEADER']" in messages[0]
    assert "X-Real-IP" in messages[0]
