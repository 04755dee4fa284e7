#!/usr/bin/env python3
"""The project's two entry points, usable on a fresh machine with only Python 3.11+.

    python3 scripts/dev.py run    set up and run the example project (migrate, seed, admin, serve)
    python3 scripts/dev.py test   install the test dependencies and run the suite on SQLite,
                                  then on PostgreSQL (required under CI=true)
    python3 scripts/dev.py lint   ruff, ruff format --check, mypy and the docs build
    python3 scripts/dev.py js     install the Node packages the JavaScript tests use (npm ci),
                                  or say loudly why they cannot run
    python3 scripts/dev.py django-version
                                  print the Django this interpreter has; exit 1 if it is not
                                  the one $FORGE_EXPECT_DJANGO names (tox runs this)

Everything is installed into ``.venv`` next to this checkout (``.forge-venv`` when ``.venv`` is
a file, as tox 4 may leave one); a re-run installs again only when ``pyproject.toml`` changed.
Arguments after ``--`` go to the underlying command (``dev.py test -- -k throttling``,
``dev.py run -- 0.0.0.0:8000``).
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import time
import venv
from pathlib import Path
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parent.parent


def default_venv() -> Path:
    """``.venv``, unless something else (tox 4 writes a ``.venv`` *file*) took that name."""
    if "FORGE_VENV" in os.environ:
        return Path(os.environ["FORGE_VENV"])
    preferred = ROOT / ".venv"
    if preferred.exists() and not preferred.is_dir():
        return ROOT / ".forge-venv"
    return preferred


VENV = default_venv()
BIN = VENV / ("Scripts" if os.name == "nt" else "bin")
PYTHON = BIN / "python"
PG_URL = os.environ.get("FORGE_TEST_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/forge")
JS_DIRS = [ROOT / "tests" / "realtime" / "js"]


def say(message: str) -> None:
    print(f"==> {message}", flush=True)


def truthy(name: str) -> bool:
    return os.environ.get(name, "").strip().lower() in {"1", "true", "yes"}


def run(cmd: list[str], env: dict[str, str] | None = None) -> int:
    return subprocess.call(cmd, cwd=ROOT, env={**os.environ, **(env or {})})


def ensure_venv(extras: str) -> None:
    if VENV.exists() and not VENV.is_dir():
        sys.exit(f"{VENV} is a file, not a virtualenv: set FORGE_VENV to a directory")
    if VENV.name != ".venv" and "FORGE_VENV" not in os.environ:
        say(f".venv is not a directory (tox writes a .venv file); using {VENV.name}/ instead")
    if not PYTHON.exists():
        say(f"creating virtualenv {VENV.name}/")
        venv.EnvBuilder(with_pip=True, clear=True).create(VENV)
    digest = hashlib.sha256((ROOT / "pyproject.toml").read_bytes()).hexdigest()[:16]
    stamp = VENV / f".forge-installed-{extras}-{digest}"
    if stamp.exists():
        return
    say(f"installing forge-suite[{extras}] into {VENV.name}/ (first run takes a few minutes)")
    pip = [str(PYTHON), "-m", "pip", "--disable-pip-version-check"]
    quiet = [] if truthy("FORGE_VERBOSE_INSTALL") else ["-q"]
    if subprocess.call([*pip, "install", *quiet, "--upgrade", "pip"], cwd=ROOT) != 0:
        sys.exit("could not upgrade pip in the virtualenv")
    if subprocess.call([*pip, "install", *quiet, "-e", f".[{extras}]"], cwd=ROOT) != 0:
        sys.exit(f"installing forge-suite[{extras}] failed (see the pip output above)")
    for old in VENV.glob(".forge-installed-*"):
        old.unlink()
    stamp.touch()


def postgres_problem() -> str | None:
    import socket

    parts = urlsplit(PG_URL)
    try:
        with socket.create_connection((parts.hostname or "127.0.0.1", parts.port or 5432), 2):
            return None
    except OSError as exc:
        return f"PostgreSQL at {parts.hostname}:{parts.port or 5432} not reachable ({exc})"


def cmd_run(extra: list[str]) -> int:
    ensure_venv("all")
    say("starting the example project (Ctrl-C stops it)")
    return run([str(PYTHON), "manage.py", "quickstart", *extra])


def ensure_js() -> list[str]:
    """``npm ci`` where a lockfile changed since the last install; return what cannot run."""
    import shutil

    skipped = []
    for folder in JS_DIRS:
        lock = folder / "package-lock.json"
        if not lock.exists():
            continue
        where = folder.relative_to(ROOT)
        if not (shutil.which("node") and shutil.which("npm")):
            skipped.append(
                f"the JavaScript tests in {where}: Node.js and npm are not installed "
                "(install them, e.g. the Debian packages nodejs and npm, and re-run)"
            )
            continue
        digest = hashlib.sha256(lock.read_bytes()).hexdigest()[:16]
        stamp = folder / "node_modules" / f".forge-lock-{digest}"
        if stamp.exists():
            continue
        say(f"npm ci in {where} (its package-lock.json changed)")
        npm = ["npm", "ci", "--no-audit", "--no-fund", "--loglevel=error"]
        if subprocess.call(npm, cwd=folder) != 0:
            skipped.append(f"the JavaScript tests in {where}: `npm ci` failed (output above)")
            continue
        stamp.parent.mkdir(exist_ok=True)  # npm creates no node_modules for a lockfile without deps
        stamp.touch()
    for what in skipped:
        say(f"SKIPPED {what}")
    return skipped


def cmd_js(extra: list[str]) -> int:
    return 1 if ensure_js() and (truthy("CI") or truthy("FORGE_REQUIRE_SERVICES")) else 0


def cmd_django_version(extra: list[str]) -> int:
    """Print this interpreter's Django; fail when it is not ``$FORGE_EXPECT_DJANGO`` (x.y)."""
    import django

    version = django.get_version()
    expected = os.environ.get("FORGE_EXPECT_DJANGO", "").strip()
    say(f"Django {version} ({django.__file__})")
    if expected and ".".join(map(str, django.VERSION[:2])) != expected:
        print(
            f"ERROR: this environment names Django {expected} but has Django {version}: a "
            "dependency made pip replace the pinned Django. See docs/installation.md for "
            "which apps support which Django.",
            file=sys.stderr,
        )
        return 1
    return 0


def cmd_test(extra: list[str]) -> int:
    ensure_venv("dev")
    js_skipped = ensure_js()
    ci = truthy("CI") or truthy("FORGE_REQUIRE_SERVICES")
    coverage = ["--cov=forge_suite", "--cov-report="] if ci or truthy("FORGE_COVERAGE") else []
    pytest = [str(PYTHON), "-m", "pytest", *coverage]
    for leftover in ROOT.glob(".coverage*"):
        leftover.unlink()
    results: list[tuple[str, int, float]] = []

    say("test suite on SQLite")
    started = time.monotonic()
    code = run([*pytest, *extra], env={"FORGE_TEST_DB": "sqlite"})
    results.append(("sqlite", code, time.monotonic() - started))

    problem = postgres_problem()
    if problem and not ci:
        say(f"PostgreSQL run skipped: {problem} (CI=true makes this a failure)")
    else:
        say("test suite on PostgreSQL")
        started = time.monotonic()
        if problem:
            print(problem, file=sys.stderr)
            code = 1
        else:
            # The tests that use the database (the rest ran on SQLite and cannot differ);
            # FORGE_TEST_DB_ONLY=0 runs every test again.
            only = os.environ.get("FORGE_TEST_DB_ONLY", "1")
            code = run(
                [*pytest, *(["--cov-append"] if coverage else []), *extra],
                env={"FORGE_TEST_DB": "postgres", "FORGE_TEST_DB_ONLY": only},
            )
        results.append(("postgresql", code, time.monotonic() - started))

    if coverage:
        subprocess.call([str(PYTHON), "-m", "coverage", "report", "--skip-covered"], cwd=ROOT)
    for name, code, seconds in results:
        meaning = {0: "passed", 5: "FAILED: no tests ran (pytest exit 5)"}.get(code, "FAILED")
        say(f"{name}: {meaning} (exit {code}, {seconds:.0f}s)")
    tested = subprocess.run(
        [str(PYTHON), "-c", "import django; print(django.get_version())"],
        capture_output=True,
        text=True,
        cwd=ROOT,
    ).stdout.strip()
    say(f"tested on Django {tested or 'unknown'}")
    for what in js_skipped:
        say(f"SKIPPED {what}")
    return 0 if all(code == 0 for _, code, _ in results) else 1


def cmd_lint(extra: list[str]) -> int:
    ensure_venv("dev")
    steps = [
        ("ruff check", [str(BIN / "ruff"), "check", "."]),
        ("ruff format --check", [str(BIN / "ruff"), "format", "--check", "."]),
        ("mypy forge_suite", [str(PYTHON), "-m", "mypy", "forge_suite"]),
        (
            "docs (warnings are errors)",
            [
                str(PYTHON),
                "-m",
                "sphinx",
                "-W",
                "--keep-going",
                "-q",
                "-b",
                "html",
                "docs",
                "docs/_build/html",
            ],
        ),
    ]
    failed = []
    for name, cmd in steps:
        say(name)
        if run(cmd) != 0:
            failed.append(name)
    if failed:
        say("FAILED: " + ", ".join(failed))
        return 1
    say("lint passed")
    return 0


COMMANDS = {
    "run": cmd_run,
    "test": cmd_test,
    "lint": cmd_lint,
    "js": cmd_js,
    "django-version": cmd_django_version,
}


def main(argv: list[str]) -> int:
    if not argv or argv[0] not in COMMANDS:
        print(__doc__)
        return 2
    extra = argv[1:]
    if extra and extra[0] == "--":
        extra = extra[1:]
    return COMMANDS[argv[0]](extra)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
