"""``manage.py health``: run the health checks from the command line."""

from __future__ import annotations

import json
import logging
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from forge_suite.observability import health


class Command(BaseCommand):
    help = "Run the health checks (the same as /health/ or /health/ready); exit 1 on failure."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--ready",
            action="store_true",
            help="Only the critical components, like /health/ready.",
        )
        parser.add_argument("--json", action="store_true", help="Print application/health+json.")
        parser.add_argument(
            "--timeout", type=float, default=None, help="Seconds per check (default: setting)."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        timeout = options["timeout"]
        if timeout is not None and timeout <= 0:
            raise CommandError(f"--timeout must be greater than 0, got {timeout}")
        # django-health-check logs each failure with its traceback; the report says enough
        # unless more verbosity is asked for.
        library_logger = logging.getLogger("health_check")
        saved_level = library_logger.level
        if options["verbosity"] < 2:
            library_logger.setLevel(logging.CRITICAL)
        try:
            report = health.run_sync("ready" if options["ready"] else "all", timeout=timeout)
        finally:
            library_logger.setLevel(saved_level)
        if options["json"]:
            self.stdout.write(json.dumps(report.as_health_json(), indent=2))
        else:
            for result in report.results:
                if result.status == "pass" and options["verbosity"] < 1:
                    continue
                line = f"{result.status.upper():4}  {result.component.name:<28} "
                line += f"{result.duration_ms:8.1f} ms"
                if result.output:
                    line += f"  {result.output}"
                style = {"pass": self.style.SUCCESS, "warn": self.style.WARNING}.get(
                    result.status, self.style.ERROR
                )
                self.stdout.write(style(line))
            self.stdout.write(f"status: {report.status}")
        if report.status == "fail":
            raise CommandError(
                "health check failed: " + ", ".join(r.component.name for r in report.failures)
            )
