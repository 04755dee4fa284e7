"""Benchmark: an API request with an OAuth2 bearer token against the same request with a
Django session, in one run.

Both go through the same WSGI handler and middleware stack (sessions, CSRF, auth) to the same
endpoint (``GET /api/v1/jobs/runs/?page_size=10`` over 50 stored runs), on SQLite or
PostgreSQL. The token is django-oauth-toolkit's (``OAuth2Authentication``: one query for the
token with its user and application); the session is Django's database session (a query for
the session, one for the user). Reported: p50/p99 per request and
side, the ratio of medians and the median of the per-round differences.

    python benchmarks/api_auth.py [--requests 2000] [--rounds 5] [--db sqlite|postgres]
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import django  # noqa: E402
from django.conf import settings  # noqa: E402

TMP = Path(tempfile.mkdtemp(prefix="forge-bench-api-"))
PG_DB = "forge_bench_api"


def configure(db: str) -> None:
    if db == "postgres":
        import psycopg

        with psycopg.connect("postgresql://postgres@127.0.0.1:5432/postgres", autocommit=True) as c:
            c.execute(f"DROP DATABASE IF EXISTS {PG_DB}")
            c.execute(f"CREATE DATABASE {PG_DB}")
        database = {
            "ENGINE": "django.db.backends.postgresql",
            "NAME": PG_DB,
            "USER": "postgres",
            "HOST": "127.0.0.1",
            "PORT": "5432",
            "CONN_MAX_AGE": 600,
        }
    else:
        database = {"ENGINE": "django.db.backends.sqlite3", "NAME": TMP / "db.sqlite3"}
    from forge_suite.api import oauth2_provider_settings

    settings.configure(
        DEBUG=False,
        SECRET_KEY="bench",
        ALLOWED_HOSTS=["*"],
        ROOT_URLCONF="forge_suite.api.urls",
        INSTALLED_APPS=[
            "django.contrib.auth",
            "django.contrib.contenttypes",
            "django.contrib.sessions",
            "django_celery_beat",
            "forge_suite.core",
            "forge_suite.scheduling",
            "forge_suite.api",
            "oauth2_provider",
            "rest_framework",
            "drf_spectacular",
        ],
        MIDDLEWARE=[
            "django.middleware.security.SecurityMiddleware",
            "django.contrib.sessions.middleware.SessionMiddleware",
            "django.middleware.common.CommonMiddleware",
            "django.middleware.csrf.CsrfViewMiddleware",
            "django.contrib.auth.middleware.AuthenticationMiddleware",
        ],
        DATABASES={"default": database},
        CACHES={"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}},
        OAUTH2_PROVIDER=oauth2_provider_settings(),
        REST_FRAMEWORK={"DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema"},
        FORGE={"API": {"THROTTLE_RATE": None}},  # the decision alone, not a rate limit
        CELERY_TASK_ALWAYS_EAGER=True,
        USE_TZ=True,
        TEMPLATES=[
            {"BACKEND": "django.template.backends.django.DjangoTemplates", "APP_DIRS": True}
        ],
        PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"],
        LOGGING_CONFIG=None,
    )
    django.setup()


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q / 100 * (len(ordered) - 1)))]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=2000)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--db", choices=["sqlite", "postgres"], default="sqlite")
    args = parser.parse_args()
    configure(args.db)

    import datetime

    from django.contrib.auth import get_user_model
    from django.contrib.auth.models import Permission
    from django.contrib.sessions.backends.db import SessionStore
    from django.core.handlers.wsgi import WSGIHandler
    from django.core.management import call_command
    from django.utils import timezone
    from oauth2_provider.models import AccessToken

    from benchmarks.wsgi_common import get_environ
    from forge_suite.scheduling.models import JobRun

    call_command("migrate", verbosity=0)
    user = get_user_model().objects.create_user("reader", password="pw")
    user.user_permissions.add(Permission.objects.get(codename="view_jobrun"))
    AccessToken.objects.create(
        user=user,
        token="bench-token",
        scope="jobs:read",
        expires=timezone.now() + datetime.timedelta(days=1),
    )
    session = SessionStore()
    session["_auth_user_id"] = str(user.pk)
    session["_auth_user_backend"] = "django.contrib.auth.backends.ModelBackend"
    session["_auth_user_hash"] = user.get_session_auth_hash()
    session.save()
    now = timezone.now()
    JobRun.objects.bulk_create(
        JobRun(task_name="bench", task_id=str(i), started_at=now - datetime.timedelta(seconds=i))
        for i in range(50)
    )

    handler = WSGIHandler()
    path = "/api/v1/jobs/runs/?page_size=10"
    sides = {
        "token": {"HTTP_AUTHORIZATION": "Bearer bench-token"},
        "session": {"HTTP_COOKIE": f"sessionid={session.session_key}"},
    }
    statuses: set[str] = set()

    def start_response(status: str, headers: object, exc_info: object = None) -> None:
        statuses.add(status.split()[0])

    def run(extra: dict[str, str], count: int) -> list[float]:
        timings = []
        for _ in range(count):
            started = time.perf_counter()
            b"".join(handler(get_environ(path, extra), start_response))
            timings.append((time.perf_counter() - started) * 1000)
        return timings

    for extra in sides.values():
        run(extra, 200)  # warm up
    results: dict[str, list[float]] = {name: [] for name in sides}
    per_round: list[tuple[float, float]] = []
    for round_number in range(args.rounds):
        # Interleaved request by request (order swapped each time): drift hits both alike.
        timings: dict[str, list[float]] = {name: [] for name in sides}
        for i in range(args.requests):
            order = list(sides) if i % 2 == 0 else list(reversed(sides))
            for name in order:
                timings[name] += run(sides[name], 1)
        medians = {name: statistics.median(values) for name, values in timings.items()}
        for name, values in timings.items():
            results[name] += values
        per_round.append((medians["token"], medians["session"]))
        print(
            f"round {round_number + 1}: token p50 {medians['token']:.3f} ms, "
            f"session p50 {medians['session']:.3f} ms, "
            f"difference {medians['token'] - medians['session']:+.3f} ms",
            flush=True,
        )
    if statuses != {"200"}:
        raise SystemExit(f"unexpected statuses {statuses}")
    print(f"\n{args.db}, {args.rounds} rounds x {args.requests} requests per side")
    for name in sides:
        values = results[name]
        print(f"{name:8} p50 {percentile(values, 50):.3f} ms  p99 {percentile(values, 99):.3f} ms")
    token, session_ = results["token"], results["session"]
    ratio = statistics.median(token) / statistics.median(session_)
    print(f"ratio of medians token/session: {ratio:.3f}")
    difference = statistics.median([t - s for t, s in per_round])
    print(f"median per-round p50 difference (token - session): {difference:+.3f} ms")
    print(f"load average (1 min): {os.getloadavg()[0]:.1f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
