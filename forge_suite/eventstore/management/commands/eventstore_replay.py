"""``manage.py eventstore_replay <projection> [--from N]``: rebuild a projection and swap it in."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from tqdm import tqdm

from forge_suite.eventstore.exceptions import ProjectionError
from forge_suite.eventstore.projections import projector_class
from forge_suite.eventstore.replay import replay


class Command(BaseCommand):
    help = "Rebuild a projection from the event store into fresh tables and swap them in."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("projection", help="Name of the projection to rebuild.")
        parser.add_argument(
            "--from",
            dest="from_position",
            type=int,
            default=0,
            help="Skip events whose global position is below N.",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if options["from_position"] < 0:
            raise CommandError("--from must be 0 or more")
        try:
            cls = projector_class(options["projection"])
        except ProjectionError as exc:
            raise CommandError(str(exc)) from exc
        bar = tqdm(unit="ev", disable=options["verbosity"] < 1, file=self.stderr, desc=cls.name)

        def set_total(total: int) -> None:
            bar.total = total
            bar.refresh()

        try:
            count = replay(
                cls,
                from_position=options["from_position"],
                progress=bar.update,
                total=set_total,
            )
        except ProjectionError as exc:
            raise CommandError(str(exc)) from exc
        finally:
            bar.close()
        self.stdout.write(f"{cls.name}: replayed {count} events and swapped the tables in")
