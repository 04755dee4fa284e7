"""Render plus CSS inlining of a typical HTML mail, per second: a Forge Mailable
(Django template in the layout, ``css-inline``) against the same template inlined by premailer.

Both sides render the same Django templates with the same context in the same run; only the
inliner differs. Rounds alternate the order; medians are compared.

    python benchmarks/mailer_render.py [--mails 300] [--rounds 5]
"""

from __future__ import annotations

import argparse
import logging
import os
import statistics
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

CONTEXT = {
    "order": "A-1042",
    "items": [("Ceramic mug", 2), ("Green tea, 100 g", 1), ("Tea strainer", 1), ("Gift box", 1)],
}


def configure() -> None:
    import django
    from django.conf import settings

    settings.configure(
        DEBUG=False,
        SECRET_KEY="benchmark",
        USE_TZ=True,
        INSTALLED_APPS=[
            "django.contrib.contenttypes",
            "django.contrib.auth",
            "forge_suite.core",
            "forge_suite.mailer",
        ],
        DATABASES={"default": {"ENGINE": "django.db.backends.sqlite3", "NAME": ":memory:"}},
        TEMPLATES=[
            {
                "BACKEND": "django.template.backends.django.DjangoTemplates",
                "DIRS": [str(ROOT / "tests" / "mailer" / "templates")],
                "APP_DIRS": True,
            }
        ],
    )
    django.setup()


def forge_render() -> str:
    from tests.mailer.mailables import OrderShipped

    return OrderShipped(**CONTEXT).to("ann@example.com").render().html


def premailer_render() -> str:
    import premailer
    from django.template.loader import render_to_string

    from forge_suite.mailer.conf import app_settings
    from forge_suite.mailer.parts import html_to_text

    page = render_to_string(
        "mails/order_shipped.html",
        {**CONTEXT, "cid": {"logo": "cid:logo"}, "layout": app_settings.LAYOUT},
    )
    html = premailer.Premailer(
        page,
        allow_network=False,
        disable_validation=True,
        cssutils_logging_level=logging.CRITICAL,
    ).transform()
    html_to_text(html)  # the Mailable derives its text part too
    return str(html)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--mails", type=int, default=300)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    configure()
    contenders: dict[str, Any] = {"forge (css-inline)": forge_render, "premailer": premailer_render}
    for render in contenders.values():  # warm template caches and imports
        html = render()
        assert "background-color" in html, html[:200]
    rates: dict[str, list[float]] = {name: [] for name in contenders}
    for round_no in range(args.rounds):
        order = list(contenders) if round_no % 2 == 0 else list(reversed(contenders))
        for name in order:
            began = time.perf_counter()
            for _ in range(args.mails):
                contenders[name]()
            rates[name].append(args.mails / (time.perf_counter() - began))
    ours, theirs = rates["forge (css-inline)"], rates["premailer"]
    for name, values in rates.items():
        print(f"{name}: median {statistics.median(values):,.0f} mails/s")
    ratios = [a / b for a, b in zip(ours, theirs, strict=True)]
    print(f"per-round median ratio: {statistics.median(ratios):.2f}x")
    print(f"ratio of medians: {statistics.median(ours) / statistics.median(theirs):.2f}x")
    print(f"load: {os.getloadavg()}")


if __name__ == "__main__":
    main()
