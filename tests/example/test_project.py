"""The example project as a newcomer runs it: check, quickstart, admin login."""

from __future__ import annotations

import http.cookiejar
import json
import os
import re
import subprocess
import sys
import time
import urllib.parse
import urllib.request
from pathlib import Path

import pytest

from tests.support.servers import free_port

ROOT = Path(__file__).resolve().parents[2]


def run_manage(
    *args: str, env: dict[str, str] | None = None, timeout: int = 300
) -> subprocess.CompletedProcess[str]:
    full_env = {**os.environ, **(env or {})}
    full_env.pop("DJANGO_SETTINGS_MODULE", None)
    full_env.pop("DATABASE_URL", None)
    full_env.pop("CELERY_BROKER_URL", None)
    full_env.pop("REDIS_URL", None)
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=full_env,
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def test_manage_py_check_passes(tmp_path: Path) -> None:
    result = run_manage("check", env={"FORGE_DATA_DIR": str(tmp_path)})
    assert result.returncode == 0, result.stderr
    assert "no issues" in result.stdout


def test_a_misspelled_forge_key_fails_the_check_naming_the_key(tmp_path: Path) -> None:
    result = run_manage(
        "check",
        "--settings",
        "tests.bad_forge_settings",
        env={"FORGE_DATA_DIR": str(tmp_path), "PYTHONPATH": str(ROOT)},
    )
    assert result.returncode != 0
    assert "forge_core.E002" in result.stderr
    assert "REDIS_ULR" in result.stderr


@pytest.mark.slow
def test_quickstart_serves_a_site_whose_admin_login_works(tmp_path: Path) -> None:
    port = free_port()
    env = {**os.environ, "FORGE_DATA_DIR": str(tmp_path), "PYTHONUNBUFFERED": "1"}
    for name in ("DJANGO_SETTINGS_MODULE", "DATABASE_URL", "CELERY_BROKER_URL", "REDIS_URL"):
        env.pop(name, None)
    log = tmp_path / "quickstart.log"
    with log.open("w") as out:
        proc = subprocess.Popen(
            [sys.executable, "manage.py", "quickstart", f"127.0.0.1:{port}"],
            cwd=ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            text=True,
        )
    try:
        base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 240
        credentials = None
        while time.monotonic() < deadline:
            text = log.read_text()
            credentials = re.search(r"login: (\S+) / (\S+)", text)
            if credentials and _answers(base + "/admin/login/"):
                break
            assert proc.poll() is None, f"quickstart exited early:\n{text}"
            time.sleep(0.5)
        assert credentials, log.read_text()
        username, password = credentials.groups()

        jar = http.cookiejar.CookieJar()
        opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
        page = opener.open(base + "/admin/login/", timeout=10).read().decode()
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)
        data = urllib.parse.urlencode(
            {
                "csrfmiddlewaretoken": token,
                "username": username,
                "password": password,
                "next": "/admin/",
            }
        ).encode()
        request = urllib.request.Request(
            base + "/admin/login/?next=/admin/", data=data, headers={"Referer": base}
        )
        response = opener.open(request, timeout=10)
        body = response.read().decode()
        assert response.geturl().rstrip("/").endswith("/admin")
        assert "Site administration" in body
        assert "Log out" in body or "logout" in body

        # A wrong password must not log in.
        jar2 = http.cookiejar.CookieJar()
        opener2 = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar2))
        page = opener2.open(base + "/admin/login/", timeout=10).read().decode()
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)
        bad = urllib.parse.urlencode(
            {"csrfmiddlewaretoken": token, "username": username, "password": "wrong"}
        ).encode()
        body = (
            opener2.open(
                urllib.request.Request(base + "/admin/login/", data=bad, headers={"Referer": base}),
                timeout=10,
            )
            .read()
            .decode()
        )
        assert "Please enter the correct username and password" in body

        # OpenID Connect is on with the demo's own key, made on first start (owner-only).
        assert (tmp_path / "oidc.pem").stat().st_mode & 0o777 == 0o600
        discovery = json.loads(
            urllib.request.urlopen(base + "/o/.well-known/openid-configuration", timeout=10).read()
        )
        assert "openid" in discovery["scopes_supported"]
        keys = json.loads(urllib.request.urlopen(discovery["jwks_uri"], timeout=10).read())["keys"]
        assert [(k["kty"], k["alg"]) for k in keys] == [("RSA", "RS256")]
        assert "OpenID Connect: " in log.read_text()
    finally:
        proc.terminate()
        proc.wait(timeout=30)


def _answers(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=2) as response:
            return bool(response.status == 200)
    except OSError:
        return False


def test_quickstart_rejects_a_bad_address(tmp_path: Path) -> None:
    result = run_manage("quickstart", "nonsense", env={"FORGE_DATA_DIR": str(tmp_path)})
    assert result.returncode != 0
    assert "addrport must look like 127.0.0.1:8000" in result.stderr


def test_quickstart_twice_keeps_the_admin_and_does_not_print_a_new_password(
    tmp_path: Path,
) -> None:
    env = {"FORGE_DATA_DIR": str(tmp_path)}
    first = run_manage("quickstart", "--no-serve", env=env)
    assert first.returncode == 0, first.stderr
    assert re.search(r"login: admin / \S+", first.stdout)
    second = run_manage("quickstart", "--no-serve", env=env)
    assert second.returncode == 0, second.stderr
    assert "'admin' exists" in second.stdout
    assert not re.search(r"login: admin / \S+", second.stdout)
    # The API's two demo clients: created once, the machine secret printed once.
    spa = re.search(r"Chat SPA \(public, code \+ PKCE\) created: client_id (\S+)", first.stdout)
    machine = re.search(
        r"Reports machine \(client credentials\) created: client_id (\S+) secret", first.stdout
    )
    assert spa, first.stdout
    assert machine, first.stdout
    assert f"Chat SPA (public, code + PKCE) exists: client_id {spa[1]}" in second.stdout
    assert f"Reports machine (client credentials) exists: client_id {machine[1]}" in second.stdout
    assert " secret " not in second.stdout
