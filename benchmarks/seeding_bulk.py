"""Rows/minute for a users -> posts -> comments graph: forge_suite.seeding's bulk path against
factory_boy's ``create_batch``, side by side in one run, on SQLite and on PostgreSQL.

    python benchmarks/seeding_bulk.py                 # both databases (PostgreSQL if reachable)
    python benchmarks/seeding_bulk.py --db sqlite     # one database
    python benchmarks/seeding_bulk.py --repeat 5
    python benchmarks/seeding_bulk.py --compare 635e95c --repeat 5   # this code vs a commit
    python benchmarks/seeding_bulk.py --compare 635e95c --against de4dbb0  # two commits
    python benchmarks/seeding_bulk.py --compare 635e95c --unique-as-sequence  # equal work

``--compare REF`` checks out ``forge_suite`` and ``example_project`` of a git commit into a
temporary directory and runs the bulk path of that commit and of this checkout in alternating
rounds (one child process per round and side, order swapped every round), so both meet the
same machine load; it prints each round, the ratio of medians and the median of the per-round
ratios.

PostgreSQL: a dedicated database ``forge_bench_seeding`` is created on
``FORGE_BENCH_DATABASE_URL`` (default ``postgres://postgres@127.0.0.1:5432/postgres``) and
dropped at the end. Both sides use the same models (the example project's blog), the same
password hasher (MD5, so that neither side measures PBKDF2) and the same graph shape:
1 user : 5 posts : 3 comments per post. factory_boy is slow, so its graph is smaller; both
are reported as rows/minute.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(os.environ.get("FORGE_BENCH_ROOT") or Path(__file__).resolve().parent.parent)
sys.path.insert(0, str(ROOT))

BENCH_DB = "forge_bench_seeding"
#: CPU seconds of this process for each run_forge() call (less sensitive to machine load).
CPU_SECONDS: list[float] = []
POSTS_PER_USER = 5
COMMENTS_PER_POST = 3


def configure(db: str, url: str) -> None:
    import django
    from django.conf import settings

    if db == "postgres":
        import dj_database_url

        parts = urlsplit(url)
        database = dj_database_url.parse(urlunsplit(parts._replace(path=f"/{BENCH_DB}")))
    else:
        path = os.path.join(tempfile.mkdtemp(prefix="forge-bench-"), "bench.sqlite3")
        database = {"ENGINE": "django.db.backends.sqlite3", "NAME": path}
    settings.configure(
        DEBUG=False,
        SECRET_KEY="bench",
        USE_TZ=True,
        DATABASES={"default": database},
        INSTALLED_APPS=[
            "django.contrib.auth",
            "django.contrib.contenttypes",
            "forge_suite.core",
            "forge_suite.seeding",
            "example_project.accounts",
            "example_project.blog",
            "example_project.chat",
            "example_project.shop",
        ],
        PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"],
        DEFAULT_AUTO_FIELD="django.db.models.BigAutoField",
        FORGE={"SEEDING": {"PROGRESS": False}},
    )
    django.setup()


def admin_sql(url: str, statement: str) -> None:
    import psycopg

    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(statement)


def reset() -> None:
    from django.core.management import call_command

    call_command("flush", interactive=False, verbosity=0)


def count_rows() -> int:
    from django.contrib.auth import get_user_model

    from example_project.blog.models import Comment, Post

    return (
        get_user_model()._default_manager.count() + Post.objects.count() + Comment.objects.count()
    )


def factory_boy_factories() -> tuple[Any, Any, Any]:
    """What a project would write with factory_boy and Faker alone."""
    import factory
    from django.contrib.auth import get_user_model

    from example_project.blog.models import Comment, Post

    class FBUserFactory(factory.django.DjangoModelFactory):
        class Meta:
            model = get_user_model()

        username = factory.Sequence(lambda n: f"user{n}")
        email = factory.Faker("email")
        first_name = factory.Faker("first_name")
        last_name = factory.Faker("last_name")
        password = factory.django.Password("demo-password")

    class FBPostFactory(factory.django.DjangoModelFactory):
        class Meta:
            model = Post

        author = factory.SubFactory(FBUserFactory)
        title = factory.Faker("sentence", nb_words=6)
        slug = factory.Sequence(lambda n: f"post-{n}")
        body = factory.Faker("paragraph", nb_sentences=8)

    class FBCommentFactory(factory.django.DjangoModelFactory):
        class Meta:
            model = Comment

        post = factory.SubFactory(FBPostFactory)
        author = factory.SubFactory(FBUserFactory)
        body = factory.Faker("paragraph", nb_sentences=2)

    return FBUserFactory, FBPostFactory, FBCommentFactory


def run_factory_boy(users: int) -> tuple[int, float]:
    import random

    from django.db import transaction

    user_f, post_f, comment_f = factory_boy_factories()
    started = time.perf_counter()
    with transaction.atomic():
        people = user_f.create_batch(users)
        posts = []
        for person in people:
            posts += post_f.create_batch(POSTS_PER_USER, author=person)
        for post in posts:
            comment_f.create_batch(COMMENTS_PER_POST, post=post, author=random.choice(people))
    seconds = time.perf_counter() - started
    return users * (1 + POSTS_PER_USER + POSTS_PER_USER * COMMENTS_PER_POST), seconds


def run_forge(users: int, seed: int = 42, fast_writer: bool = True) -> tuple[int, float]:
    from django.test import override_settings

    from example_project.accounts.factories import UserFactory
    from example_project.blog.factories import CommentFactory, PostFactory
    from forge_suite.seeding import seeded

    if os.environ.get("FORGE_BENCH_UNIQUE_AS_SEQUENCE") == "1":
        # --unique-as-sequence: the same graph with the UniqueFaker columns (username, slug)
        # as sequences, so that two versions whose UniqueFaker does different work per value
        # can be compared on the rest of the bulk path.
        import factory

        class SequenceUserFactory(UserFactory):  # type: ignore[misc, valid-type]
            username = factory.Sequence(lambda n: f"user{n}")

        class SequencePostFactory(PostFactory):  # type: ignore[misc, valid-type]
            slug = factory.Sequence(lambda n: f"post-{n}")

        UserFactory, PostFactory = SequenceUserFactory, SequencePostFactory

    forge = {"SEEDING": {"PROGRESS": False, "FAST_WRITER": fast_writer}}
    cpu = time.process_time()
    started = time.perf_counter()
    with override_settings(FORGE=forge), seeded(seed):
        people = UserFactory.bulk(users)
        posts = PostFactory.bulk(POSTS_PER_USER, per=people)
        comments = CommentFactory.bulk(COMMENTS_PER_POST, per=posts, author=people)
    seconds = time.perf_counter() - started
    CPU_SECONDS.append(time.process_time() - cpu)
    return people.total_rows + posts.total_rows + comments.total_rows, seconds


def bench(
    db: str, repeat: int, fb_users: int, forge_users: int, only_forge: bool = False
) -> dict[str, Any]:
    from django.core.management import call_command
    from django.db import connection

    call_command("migrate", verbosity=0)
    results: dict[str, list[float]] = {
        "factory_boy": [],
        "forge": [],
        "forge_bulk_create": [],
        "forge_cpu": [],
        "forge_bulk_create_cpu": [],
    }
    # One untimed warm-up round: imports, Faker's provider loading, database caches.
    for attempt in range(-1, repeat):
        # A new seed each round: the value pools are generated (and timed) every time.
        for name, runner in (
            ("factory_boy", lambda: run_factory_boy(fb_users)),
            ("forge", lambda a=attempt: run_forge(forge_users, seed=a)),
            ("forge_bulk_create", lambda a=attempt: run_forge(forge_users, a, False)),
        ):
            if only_forge and name == "factory_boy":
                continue
            reset()
            rows, seconds = runner()
            assert count_rows() == rows, (name, count_rows(), rows)
            if attempt >= 0:
                results[name].append(rows / seconds * 60)
                if name != "factory_boy":
                    results[f"{name}_cpu"].append(rows / CPU_SECONDS[-1] * 60)
    fb = statistics.median(results["factory_boy"]) if results["factory_boy"] else 0.0
    forge = statistics.median(results["forge"])
    forge_bc = statistics.median(results["forge_bulk_create"])
    vendor = connection.vendor
    version = connection.Database.sqlite_version if vendor == "sqlite" else ""
    return {
        "db": f"{vendor} {version}".strip(),
        "factory_boy": fb,
        "forge": forge,
        "forge_bulk_create": forge_bc,
        "forge_cpu": statistics.median(results["forge_cpu"]),
        "forge_bulk_create_cpu": statistics.median(results["forge_bulk_create_cpu"]),
        "runs": results,
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--db", choices=["sqlite", "postgres", "both"], default="both")
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--fb-users", type=int, default=40, help="factory_boy graph size")
    parser.add_argument("--forge-users", type=int, default=4000, help="bulk graph size")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    parser.add_argument("--json", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument(
        "--compare", metavar="REF", help="git commit to compare this checkout's bulk path with"
    )
    parser.add_argument(
        "--child-repeat", type=int, default=3, help="with --compare: graphs per child process"
    )
    parser.add_argument(
        "--against", metavar="REF", help="with --compare: a commit, not this checkout"
    )
    parser.add_argument(
        "--unique-as-sequence",
        action="store_true",
        help="make the graph's UniqueFaker columns sequences (compare versions on equal work)",
    )
    args = parser.parse_args()
    if args.unique_as_sequence:
        os.environ["FORGE_BENCH_UNIQUE_AS_SEQUENCE"] = "1"  # the child processes inherit it
    url = os.environ.get("FORGE_BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/postgres")

    if args.child:
        # One database per process: Django settings are configured once.
        configure(args.child, url)
        result = bench(args.child, args.repeat, args.fb_users, args.forge_users, args.json)
        if args.json:
            keys = ("db", "forge", "forge_bulk_create", "forge_cpu", "forge_bulk_create_cpu")
            print("RESULT " + json.dumps({k: result[k] for k in keys}))
            return 0
        rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        graph = f"1 user : {POSTS_PER_USER} posts : {POSTS_PER_USER * COMMENTS_PER_POST} comments"
        print(f"\n## {result['db']}  ({graph}; median of {args.repeat})")
        fb_rows = args.fb_users * (1 + POSTS_PER_USER * (1 + COMMENTS_PER_POST))
        forge_rows = args.forge_users * (1 + POSTS_PER_USER * (1 + COMMENTS_PER_POST))
        fb, forge, forge_bc = result["factory_boy"], result["forge"], result["forge_bulk_create"]
        print(f"factory_boy create_batch      {fb:>12,.0f} rows/min  ({fb_rows:,} rows)")
        print(f"forge bulk, fast writer       {forge:>12,.0f} rows/min  ({forge_rows:,} rows)")
        print(f"forge bulk, bulk_create       {forge_bc:>12,.0f} rows/min  ({forge_rows:,} rows)")
        print(f"ratio fast writer / fb        {forge / fb:>12.1f}x")
        print(f"ratio bulk_create / fb        {forge_bc / fb:>12.1f}x")
        print(f"peak RSS                      {rss:>12,.0f} MiB")
        print(f"load average (1 min)          {os.getloadavg()[0]:>12.1f}")
        return 0

    import subprocess

    if args.compare:
        return compare(args, url)
    dbs = ["sqlite", "postgres"] if args.db == "both" else [args.db]
    code = 0
    for db in dbs:
        if db == "postgres":
            try:
                admin_sql(url, f"DROP DATABASE IF EXISTS {BENCH_DB}")
                admin_sql(url, f"CREATE DATABASE {BENCH_DB}")
            except Exception as exc:
                print(f"\n## postgresql skipped: {exc}")
                continue
        try:
            cmd = [sys.executable, __file__, "--child", db, "--repeat", str(args.repeat)]
            cmd += ["--fb-users", str(args.fb_users), "--forge-users", str(args.forge_users)]
            env = {**os.environ, "PYTHONPATH": str(ROOT)}
            env.pop("DJANGO_SETTINGS_MODULE", None)
            code |= subprocess.call(cmd, cwd=ROOT, env=env)
        finally:
            if db == "postgres":
                admin_sql(url, f"DROP DATABASE IF EXISTS {BENCH_DB} WITH (FORCE)")
    return code


def compare(args: argparse.Namespace, url: str) -> int:
    """This checkout against ``args.compare`` in alternating rounds; see the module docstring."""
    import subprocess

    here = Path(__file__).resolve().parent.parent

    def checkout(ref: str) -> Path:
        target = Path(tempfile.mkdtemp(prefix="forge-bench-ref-"))
        archive = subprocess.run(
            ["git", "archive", ref, "forge_suite", "example_project"],
            cwd=here,
            check=True,
            capture_output=True,
        ).stdout
        subprocess.run(["tar", "-x", "-C", str(target)], input=archive, check=True)
        return target

    after_name = args.against or "this checkout"
    sides = {
        f"{args.compare} (before)": checkout(args.compare),
        after_name: checkout(args.against) if args.against else here,
    }
    dbs = ["sqlite", "postgres"] if args.db == "both" else [args.db]
    for db in dbs:
        rates: dict[str, list[dict[str, float]]] = {name: [] for name in sides}
        loads = []
        for round_no in range(args.repeat):
            order = list(sides.items())
            if round_no % 2:
                order.reverse()
            for name, root in order:
                if db == "postgres":
                    admin_sql(url, f"DROP DATABASE IF EXISTS {BENCH_DB} WITH (FORCE)")
                    admin_sql(url, f"CREATE DATABASE {BENCH_DB}")
                cmd = [sys.executable, __file__, "--child", db, "--json"]
                cmd += ["--repeat", str(args.child_repeat)]
                cmd += ["--forge-users", str(args.forge_users)]
                env = {**os.environ, "PYTHONPATH": str(root), "FORGE_BENCH_ROOT": str(root)}
                env.pop("DJANGO_SETTINGS_MODULE", None)
                out = subprocess.run(cmd, cwd=root, env=env, capture_output=True, text=True)
                line = next((x for x in out.stdout.splitlines() if x.startswith("RESULT ")), None)
                if line is None:
                    print(out.stdout, out.stderr)
                    return 1
                rates[name].append(json.loads(line[len("RESULT ") :]))
            loads.append(os.getloadavg()[0])
        if db == "postgres":
            admin_sql(url, f"DROP DATABASE IF EXISTS {BENCH_DB} WITH (FORCE)")
        before, after = (rates[name] for name in sides)
        print(
            f"\n## {after[0]['db']}: {after_name} / {args.compare}; {args.forge_users:,} users "
            f"per graph; {args.repeat} rounds, each the median of {args.child_repeat} graphs"
        )
        for writer in ("forge", "forge_bulk_create", "forge_cpu", "forge_bulk_create_cpu"):
            unit = "rows per CPU-minute" if writer.endswith("_cpu") else "rows/min"
            print(f"\n{writer} ({unit}): round, before, after, ratio, load")
            ratios = []
            for i, (b, a) in enumerate(zip(before, after, strict=True), 1):
                ratios.append(a[writer] / b[writer])
                print(
                    f"  {i}  {b[writer]:>12,.0f}  {a[writer]:>12,.0f}  {ratios[-1]:.3f}  "
                    f"{loads[i - 1]:.1f}"
                )
            mb = statistics.median(r[writer] for r in before)
            ma = statistics.median(r[writer] for r in after)
            print(
                f"  median {mb:>12,.0f}  {ma:>12,.0f}  ratio of medians {ma / mb:.3f}; "
                f"median of per-round ratios {statistics.median(ratios):.3f}"
            )
    return 0


if __name__ == "__main__":
    sys.exit(main())
