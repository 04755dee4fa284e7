"""``manage.py api_schema [--file F] [--format json|yaml]``: the API's OpenAPI 3 document."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from forge_suite.api.urls import openapi_schema


class Command(BaseCommand):
    help = (
        "Write the OpenAPI 3 document of the Forge Suite API (what api/v1/schema/ serves) to "
        "standard output or a file, for client generators and contract tests."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--file", help="Write here instead of standard output.")
        parser.add_argument(
            "--format",
            choices=["json", "yaml"],
            default=None,
            help="Default: from --file's suffix, else yaml.",
        )
        parser.add_argument(
            "--validate",
            action="store_true",
            help="Check the document with openapi-spec-validator first (an error if not valid).",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        target = Path(options["file"]) if options["file"] else None
        kind = options["format"] or ("json" if target and target.suffix == ".json" else "yaml")
        schema = openapi_schema()
        if options["validate"]:
            try:
                from openapi_spec_validator import validate
            except ImportError as exc:
                raise CommandError("--validate needs openapi-spec-validator installed.") from exc
            try:
                validate(schema)
            except Exception as exc:  # its errors have no common base worth naming
                raise CommandError(f"The OpenAPI document is not valid: {exc}") from exc
        if kind == "json":
            text = json.dumps(schema, indent=2, sort_keys=False, default=str) + "\n"
        else:
            from drf_spectacular.renderers import OpenApiYamlRenderer

            text = OpenApiYamlRenderer().render(schema).decode()
        if target is None:
            self.stdout.write(text, ending="")
            return
        try:
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(text)
        except OSError as exc:
            raise CommandError(f"Cannot write {target}: {exc}") from exc
        paths = len(schema.get("paths", {}))
        self.stdout.write(f"Wrote the OpenAPI document ({paths} paths) to {target}")
