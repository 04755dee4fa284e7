"""Benchmark: ``/health/live`` against django-health-check's default view, in one run.

Both views are served through the same Django WSGI handler and middleware stack (request ids,
sessions, auth, CSRF...), called the way a WSGI server calls it, on SQLite, the locmem cache,
local disk and the locmem mail backend. Reported: p50 and p99 latency per request and the
ratio. django-health-check's default view runs Cache, Database, DNS, Mail and Storage checks
on every probe; a second baseline drops its DNS check (which asks the network's resolver), and
our full ``/health/`` is shown for reference.

    python benchmarks/observability_health.py [--requests 3000]
"""

from __future__ import annotations

import argparse
import logging
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import django  # noqa: E402
from django.conf import settings  # noqa: E402

TMP = Path(tempfile.mkdtemp(prefix="forge-bench-health-"))

settings.configure(
    DEBUG=False,
    SECRET_KEY="bench",
    ALLOWED_HOSTS=["*"],
    ROOT_URLCONF=__name__,
    INSTALLED_APPS=[
        "django.contrib.auth",
        "django.contrib.contenttypes",
        "django.contrib.sessions",
        "forge_suite.core",
        "forge_suite.observability",
    ],
    MIDDLEWARE=[
        "forge_suite.observability.middleware.RequestIdMiddleware",
        "django.middleware.security.SecurityMiddleware",
        "django.contrib.sessions.middleware.SessionMiddleware",
        "django.middleware.common.CommonMiddleware",
        "django.middleware.csrf.CsrfViewMiddleware",
        "django.contrib.auth.middleware.AuthenticationMiddleware",
    ],
    DATABASES={"default": {"ENGINE": "django.db.backends.sqlite3", "NAME": TMP / "db.sqlite3"}},
    CACHES={"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}},
    STORAGES={"default": {"BACKEND": "django.core.files.storage.FileSystemStorage"}},
    MEDIA_ROOT=str(TMP / "media"),
    EMAIL_BACKEND="django.core.mail.backends.locmem.EmailBackend",
    CELERY_TASK_ALWAYS_EAGER=True,
    USE_TZ=True,
    TEMPLATES=[{"BACKEND": "django.template.backends.django.DjangoTemplates", "APP_DIRS": True}],
    LOGGING_CONFIG=None,
)
django.setup()
# Failed probes (their DNS check) log a traceback each time; keep the run quiet.
logging.disable(logging.CRITICAL)

from django.core.handlers.wsgi import WSGIHandler  # noqa: E402
from django.urls import include, path  # noqa: E402
from health_check.views import HealthCheckView  # noqa: E402

from benchmarks.wsgi_common import get_environ  # noqa: E402

urlpatterns = [
    path("", include("forge_suite.observability.urls")),
    path("ht/default/", HealthCheckView.as_view(), name="ht-default"),
    path(
        "ht/local/",
        HealthCheckView.as_view(
            checks=[
                "health_check.checks.Cache",
                "health_check.checks.Database",
                "health_check.checks.Mail",
                "health_check.checks.Storage",
            ]
        ),
        name="ht-local",
    ),
]

handler = WSGIHandler()


def measure(path: str, count: int) -> tuple[list[float], set[str]]:
    statuses: set[str] = set()

    def start_response(status: str, headers: object, exc_info: object = None) -> None:
        statuses.add(status.split()[0])

    for _ in range(min(50, count)):  # warm up: imports, connections, template caches
        b"".join(handler(get_environ(path), start_response))
    timings = []
    for _ in range(count):
        started = time.perf_counter()
        b"".join(handler(get_environ(path), start_response))
        timings.append((time.perf_counter() - started) * 1000)
    return timings, statuses


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q / 100 * (len(ordered) - 1)))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=3000, help="requests per live probe")
    parser.add_argument("--checked", type=int, default=300, help="requests per checking view")
    args = parser.parse_args()

    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    runs = [
        ("forge /health/live", "/health/live", args.requests),
        ("django-health-check default view", "/ht/default/", args.checked),
        ("django-health-check without DNS", "/ht/local/", args.checked),
        ("forge /health/ (all checks)", "/health/", args.checked),
    ]
    results = {}
    print(f"{'endpoint':36} {'n':>5} {'p50 ms':>8} {'p99 ms':>8}  status")
    for label, url, count in runs:
        timings, statuses = measure(url, count)
        p50, p99 = statistics.median(timings), percentile(timings, 99)
        results[label] = (p50, p99)
        print(f"{label:36} {count:5d} {p50:8.3f} {p99:8.3f}  {','.join(sorted(statuses))}")
    live = results["forge /health/live"]
    for baseline in ("django-health-check default view", "django-health-check without DNS"):
        other = results[baseline]
        print(
            f"{baseline} / forge live: p50 x{other[0] / live[0]:.1f}, p99 x{other[1] / live[1]:.1f}"
        )
    goal = "met" if live[1] < 10 else "MISSED"
    print(f"goal p99 < 10 ms for /health/live: {goal} ({live[1]:.3f} ms)")


if __name__ == "__main__":
    main()
