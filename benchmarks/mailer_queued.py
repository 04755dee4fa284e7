"""Queued sending in mails/min: Forge Suite's outbox ``send_queued()`` against
django-post-office's ``send_queued_mail`` (its ``mail.send_queued()``), same run, same
aiosmtpd sink on loopback, same messages (HTML + text, one recipient each).

Each round queues N messages for each contender (not timed), then times the sending; the
order alternates between rounds and the medians are compared.

    python benchmarks/mailer_queued.py [--messages 1000] [--rounds 3] [--database URL]
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

HTML = (
    '<html><body><h1 style="font-size:22px">Your order shipped</h1><p>Hello {i}, your order '
    '<strong>#{i}</strong> is on its way.</p><p><a href="https://shop.example.com/o/{i}">'
    "Track it</a></p></body></html>"
)
TEXT = "Hello {i}, your order #{i} is on its way. Track it: https://shop.example.com/o/{i}"


def _serve(port: int, count: Any, ready: Any) -> None:
    import asyncio

    from aiosmtpd.controller import Controller

    class Counter:
        async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
            with count.get_lock():
                count.value += 1
            return "250 OK"

    controller = Controller(Counter(), hostname="127.0.0.1", port=port)
    controller.start()
    ready.set()
    asyncio.run(asyncio.sleep(10**6))


class SinkProcess:
    """An aiosmtpd sink in its own process (so it takes no CPU from the sender's process)."""

    def __init__(self) -> None:
        from tests.support.smtp_sink import free_port

        self.port = free_port()
        self.count = multiprocessing.Value("i", 0)
        self.ready = multiprocessing.Event()
        self.process = multiprocessing.Process(
            target=_serve, args=(self.port, self.count, self.ready), daemon=True
        )

    def __enter__(self) -> SinkProcess:
        self.process.start()
        self.ready.wait(30)
        return self

    def __exit__(self, *exc: object) -> None:
        self.process.terminate()
        self.process.join(10)

    def wait_for(self, value: int, timeout: float = 10) -> int:
        deadline = time.monotonic() + timeout
        while self.count.value < value and time.monotonic() < deadline:
            time.sleep(0.01)
        return int(self.count.value)


def configure(port: int, database_url: str | None) -> None:
    import django
    from django.conf import settings

    if database_url:
        import dj_database_url

        db = dj_database_url.parse(database_url)
    else:
        path = os.path.join(tempfile.mkdtemp(prefix="forge-mail-bench-"), "db.sqlite3")
        db = {"ENGINE": "django.db.backends.sqlite3", "NAME": path}
    smtp = "django.core.mail.backends.smtp.EmailBackend"
    settings.configure(
        DEBUG=False,
        SECRET_KEY="benchmark",
        USE_TZ=True,
        INSTALLED_APPS=[
            "django.contrib.contenttypes",
            "django.contrib.auth",
            "forge_suite.core",
            "forge_suite.mailer",
            "post_office",
        ],
        DATABASES={"default": db},
        TEMPLATES=[{"BACKEND": "django.template.backends.django.DjangoTemplates"}],
        EMAIL_BACKEND=smtp,
        EMAIL_HOST="127.0.0.1",
        EMAIL_PORT=port,
        DEFAULT_FROM_EMAIL="shop@example.com",
        FORGE={"MAILER": {"DEFAULT_MAILER": "default", "BATCH_SIZE": 200}},
        POST_OFFICE={"BACKENDS": {"default": smtp}},
        LOGGING={"version": 1, "loggers": {"post_office": {"level": "WARNING"}}},
        DEFAULT_AUTO_FIELD="django.db.models.BigAutoField",
        CELERY_TASK_ALWAYS_EAGER=True,
    )
    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0, run_syncdb=True)


def queue_forge(n: int, start: int) -> None:
    from email.utils import make_msgid

    from forge_suite.mailer.models import OutboundEmail

    OutboundEmail.objects.bulk_create(
        [
            OutboundEmail(
                message_id=make_msgid(domain="bench.example.com"),
                from_email="shop@example.com",
                to=[f"user{i}@example.com"],
                subject=f"Order {i} shipped",
                text=TEXT.format(i=i),
                html=HTML.format(i=i),
            )
            for i in range(start, start + n)
        ],
        batch_size=500,
    )


def queue_post_office(n: int, start: int) -> None:
    from post_office import mail
    from post_office.models import PRIORITY

    mail.send_many(
        [
            {
                "recipients": [f"user{i}@example.com"],
                "sender": "shop@example.com",
                "subject": f"Order {i} shipped",
                "message": TEXT.format(i=i),
                "html_message": HTML.format(i=i),
                "priority": PRIORITY.medium,
            }
            for i in range(start, start + n)
        ]
    )


def send_forge() -> int:
    from forge_suite.mailer.outbox import send_queued

    return send_queued()


def send_post_office() -> int:
    from post_office import mail
    from post_office.models import STATUS, Email

    # What the send_queued_mail command does: batches until nothing is queued.
    total = 0
    while Email.objects.filter(status=STATUS.queued).exists():
        sent, _failed, _ = mail.send_queued(processes=1)
        total += int(sent)
    return total


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--messages", type=int, default=1000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--database", default=None, help="database URL (default: SQLite file)")
    args = parser.parse_args()

    with SinkProcess() as sink:
        configure(sink.port, args.database)
        contenders = {
            "forge send_queued": (queue_forge, send_forge),
            "post-office send_queued": (queue_post_office, send_post_office),
        }
        rates: dict[str, list[float]] = {name: [] for name in contenders}
        start = 0
        for round_no in range(args.rounds):
            order = list(contenders) if round_no % 2 == 0 else list(reversed(contenders))
            for name in order:
                queue, send = contenders[name]
                queue(args.messages, start)
                start += args.messages
                before = sink.count.value
                began = time.perf_counter()
                done = send()
                elapsed = time.perf_counter() - began
                received = sink.wait_for(before + args.messages) - before
                if received != args.messages or done != args.messages:
                    raise SystemExit(f"{name}: sent {done}, sink got {received}")
                rates[name].append(args.messages / elapsed * 60)
                print(f"round {round_no + 1} {name}: {rates[name][-1]:,.0f} mails/min")
    ours, theirs = rates["forge send_queued"], rates["post-office send_queued"]
    per_round = [a / b for a, b in zip(ours, theirs, strict=True)]
    print(f"load: {os.getloadavg()}")
    for name, values in rates.items():
        print(f"{name}: median {statistics.median(values):,.0f} mails/min")
    print(f"per-round median ratio: {statistics.median(per_round):.2f}x")
    print(f"ratio of medians: {statistics.median(ours) / statistics.median(theirs):.2f}x")


if __name__ == "__main__":
    main()
