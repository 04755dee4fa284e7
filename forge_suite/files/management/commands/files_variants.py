"""``manage.py files_variants [--missing] [--force] [--name thumb]``."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from tqdm import tqdm

from forge_suite.files.models import StoredFile
from forge_suite.files.variants import configured, generate_variants, missing_variants


class Command(BaseCommand):
    help = "Generate the image variants of stored files (only the missing ones with --missing)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--missing", action="store_true", help="Only files lacking a variant.")
        parser.add_argument("--force", action="store_true", help="Regenerate existing variants.")
        parser.add_argument("--name", action="append", dest="names", help="Only this variant.")

    def handle(
        self, *args: Any, missing: bool, force: bool, names: list[str] | None, **options: Any
    ) -> None:
        known = configured()
        if not known:
            raise CommandError('No variants: declare FORGE["FILES"]["VARIANTS"] first.')
        unknown = sorted(set(names or []) - set(known))
        if unknown:
            raise CommandError(
                f"Unknown variant(s): {', '.join(unknown)} (known: {', '.join(known)})"
            )
        if missing and force:
            raise CommandError("--missing and --force contradict each other.")
        files = StoredFile.objects.filter(content_type__startswith="image/").exclude(
            content_type="image/svg+xml"
        )
        made = failed = 0
        for stored in tqdm(
            files.iterator(),
            total=files.count(),
            disable=options["verbosity"] < 1,
            file=self.stderr,
        ):
            if missing and not missing_variants(stored):
                continue
            try:
                made += len(generate_variants(stored.pk, names, force=force))
            except Exception as exc:  # one bad file must not stop the others
                failed += 1
                self.stderr.write(f"{stored.pk} {stored.path}: {exc}")
        self.stdout.write(f"{made} variants generated, {failed} files failed")
        if failed:
            raise CommandError(f"{failed} files failed")
