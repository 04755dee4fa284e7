"""Jobs per second through `manage.py worker` with JobRun history vs a plain Celery worker.

Same broker, same database server, same task body (one Redis INCR), same worker options
(prefork, concurrency 2, prefetch 4, log level WARNING). In each round N messages are queued
on two queues first, then both workers start at the same time, so whatever else loads the
machine loads both alike; each rate is measured from its first to its last completed job
(start-up excluded). The figure is the median over the rounds. Each round also checks the
history: exactly one SUCCESS JobRun row per job (the run fails otherwise).

    python benchmarks/scheduling_worker_throughput.py [--jobs 1000] [--rounds 5]
        [--db postgres|sqlite]

``FORGE_BENCH_METRICS=1`` adds the observability app's Prometheus metrics to the forge worker
(as the example project ships); ``FORGE_BENCH_HISTORY=0`` turns the history off.

Needs Redis (broker db 4 by default, FORGE_BENCH_BROKER_URL) and, for --db postgres,
PostgreSQL on 127.0.0.1.
"""

from __future__ import annotations

import argparse
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

BROKER = os.environ.get("FORGE_BENCH_BROKER_URL", "redis://127.0.0.1:6379/4")
COUNTER = os.environ.get("FORGE_BENCH_COUNTER_URL", "redis://127.0.0.1:6379/4")
PG_URL = "postgres://postgres@127.0.0.1:5432/bench_forge_scheduling"


def prepare_database(kind: str) -> str:
    if kind == "sqlite":
        path = Path(tempfile.mkdtemp(prefix="forge-bench-")) / "bench.sqlite3"
        return f"sqlite:///{path}"
    import psycopg

    with psycopg.connect("postgresql://postgres@127.0.0.1:5432/postgres", autocommit=True) as c:
        c.execute("DROP DATABASE IF EXISTS bench_forge_scheduling")
        c.execute("CREATE DATABASE bench_forge_scheduling")
    return PG_URL


def env_for(mode: str, db_url: str) -> dict[str, str]:
    return {
        **os.environ,
        "PYTHONPATH": str(ROOT),
        "DJANGO_SETTINGS_MODULE": "benchmarks.scheduling_settings",
        "FORGE_BENCH_MODE": mode,
        "FORGE_BENCH_DATABASE_URL": db_url,
        "FORGE_BENCH_BROKER_URL": BROKER,
        "FORGE_BENCH_COUNTER_URL": COUNTER,
    }


def publish(mode: str, db_url: str, queue: str, key: str, count: int) -> None:
    code = (
        "import django; django.setup();"
        "from benchmarks.scheduling_tasks import plain_count, forge_count;"
        f"task = forge_count.task if {mode!r} == 'forge' else plain_count;"
        f"[task.apply_async(({key!r},), queue={queue!r}) for _ in range({count})]"
    )
    subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env_for(mode, db_url), check=True)


def history_rows(db_url: str, queue: str) -> tuple[int, int]:
    """(JobRun rows, distinct task ids with a SUCCESS row) of the forge worker's queue."""
    code = (
        "import django; django.setup();"
        "from forge_suite.scheduling.models import JobRun;"
        f"rows = JobRun.objects.filter(queue={queue!r});"
        "ok = rows.filter(state='SUCCESS').values('task_id').distinct().count();"
        "print(rows.count(), ok)"
    )
    out = subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        env=env_for("forge", db_url),
        check=True,
        capture_output=True,
        text=True,
    ).stdout.split()
    return int(out[0]), int(out[1])


def worker_command(mode: str, queue: str) -> list[str]:
    common = [
        f"--queues={queue}",
        "--pool=prefork",
        "--concurrency=2",
        "--prefetch-multiplier=4",
        "--loglevel=WARNING",
        f"--hostname=bench-{mode}-{uuid.uuid4().hex[:6]}@%h",
    ]
    if mode == "forge":
        return [sys.executable, "manage.py", "worker", *common]
    return [sys.executable, "-m", "celery", "-A", "forge_suite.celery", "worker", *common]


def group_cpu_seconds(pgid: int) -> float:
    """User+system CPU seconds of every live process in process group ``pgid`` (Linux)."""
    ticks = os.sysconf("SC_CLK_TCK")
    total = 0
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[2]) == pgid:  # fields after the command: state ppid pgrp ...
            total += int(fields[11]) + int(fields[12])  # utime stime
    return total / ticks


def one_round(db_url: str, count: int) -> tuple[dict[str, float], dict[str, float]]:
    import redis

    client = redis.Redis.from_url(COUNTER)
    runs = {}
    for mode in ("plain", "forge"):
        queue = f"bench-{mode}-{uuid.uuid4().hex[:8]}"
        key = f"forge-bench:{queue}"
        publish(mode, db_url, queue, key, count)
        runs[mode] = {"queue": queue, "key": key}
    workers = {
        mode: subprocess.Popen(
            worker_command(mode, run["queue"]),
            cwd=ROOT,
            env=env_for(mode, db_url),
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )
        for mode, run in runs.items()
    }
    rates: dict[str, float] = {}
    cpu: dict[str, float] = {}
    started: dict[str, tuple[float, int]] = {}
    try:
        deadline = time.monotonic() + 300
        while len(rates) < len(runs):
            if time.monotonic() > deadline:
                raise RuntimeError(f"workers stalled: {started} {rates}")
            now = time.perf_counter()
            for mode, run in runs.items():
                if mode in rates:
                    continue
                done = int(client.get(run["key"]) or 0)
                if mode not in started and done:
                    started[mode] = (now, done)
                    cpu[mode] = -group_cpu_seconds(workers[mode].pid)
                elif done >= count and mode in started:
                    since, first = started[mode]
                    rates[mode] = (count - first) / (now - since)
                    # CPU milliseconds per job: insensitive to what else loads the machine.
                    cpu[mode] = (cpu[mode] + group_cpu_seconds(workers[mode].pid)) * 1000
                    cpu[mode] /= count - first
                if workers[mode].poll() is not None:
                    raise RuntimeError(f"{mode} worker exited")
            time.sleep(0.003)
    finally:
        for worker in workers.values():
            # Warm shutdown: the main process lets the pool finish the jobs it is running
            # (a TERM to the whole group would kill them between their side effect and
            # their history write, and their messages would be delivered again).
            worker.send_signal(signal.SIGTERM)
        for worker in workers.values():
            try:
                worker.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(worker.pid, signal.SIGKILL)
        for run in runs.values():
            client.delete(run["key"])
    if os.environ.get("FORGE_BENCH_HISTORY", "1") != "0":
        rows, succeeded = history_rows(db_url, runs["forge"]["queue"])
        if rows != count or succeeded != count:
            raise RuntimeError(
                f"history incomplete: {rows} JobRun rows, {succeeded} successful jobs "
                f"for {count} jobs"
            )
    return rates, cpu


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--jobs", type=int, default=1000)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--db", choices=["postgres", "sqlite"], default="postgres")
    args = parser.parse_args()

    db_url = prepare_database(args.db)
    subprocess.run(
        [sys.executable, "manage.py", "migrate", "-v0"],
        cwd=ROOT,
        env=env_for("forge", db_url),
        check=True,
    )
    rates: dict[str, list[float]] = {"plain": [], "forge": []}
    cpus: dict[str, list[float]] = {"plain": [], "forge": []}
    for number in range(args.rounds):
        result, cpu = one_round(db_url, args.jobs)
        for mode, rate in result.items():
            rates[mode].append(rate)
            cpus[mode].append(cpu[mode])
        print(
            f"round {number + 1}: plain {result['plain']:8.1f} jobs/s, "
            f"forge {result['forge']:8.1f} jobs/s, ratio {result['forge'] / result['plain']:.3f}"
            f"  | CPU ms/job plain {cpu['plain']:.3f}, forge {cpu['forge']:.3f}",
            flush=True,
        )
    plain = statistics.median(rates["plain"])
    forge = statistics.median(rates["forge"])
    print()
    print(f"database: {args.db}, jobs per round: {args.jobs}, rounds: {args.rounds}")
    print(f"metrics: {os.environ.get('FORGE_BENCH_METRICS', '0') == '1'}")
    ratios = [f / p for f, p in zip(rates["forge"], rates["plain"], strict=True)]
    print(f"median of per-round ratios     : {statistics.median(ratios):.3f}")
    print(
        f"CPU ms/job (median)            : plain {statistics.median(cpus['plain']):.3f}, "
        f"forge {statistics.median(cpus['forge']):.3f}"
    )
    print(f"plain Celery worker          : {plain:8.1f} jobs/s (median)")
    print(f"manage.py worker + history   : {forge:8.1f} jobs/s (median)")
    print(
        f"ratio forge/plain            : {forge / plain:.3f}  (overhead {1 - forge / plain:+.1%})"
    )


if __name__ == "__main__":
    main()
