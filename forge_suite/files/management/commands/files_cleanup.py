"""``manage.py files_cleanup``: remove abandoned uploads and stale temporary files now."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from forge_suite.files.cleanup import cleanup


class Command(BaseCommand):
    help = "Remove expired tus uploads (with their S3 parts) and stale temporary files."

    def handle(self, *args: Any, **options: Any) -> None:
        report = cleanup()
        if options["verbosity"] >= 1:
            self.stdout.write(str(report))
