"""Sphinx configuration for the Forge Suite documentation (Markdown through MyST)."""

from __future__ import annotations

import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "example_project.settings")
os.environ.setdefault("FORGE_DATA_DIR", str(ROOT / "docs" / "_build" / "var"))

import django  # noqa: E402

django.setup()


def _write_api_reference() -> None:
    """The API's OpenAPI document and a table of its operations, made from the code at every
    build (apps/api.md includes the table and offers the document for download)."""
    import json

    from forge_suite.api.urls import openapi_schema

    schema = openapi_schema()
    out = ROOT / "docs" / "_build" / "api"
    out.mkdir(parents=True, exist_ok=True)
    (out / "openapi.json").write_text(json.dumps(schema, indent=2, default=str) + "\n")
    rows = ["| method | path | scopes | what |", "|---|---|---|---|"]
    for route, operations in schema["paths"].items():
        for method, operation in operations.items():
            if method not in {"get", "post", "put", "patch", "delete"}:
                continue
            text = operation.get("description") or operation.get("summary") or ""
            first = text.strip().split("\n\n")[0].replace("\n", " ").replace("|", "\\|")
            scopes = sorted(
                {s for need in operation.get("security", []) for s in need.get("oauth2", [])}
            )
            needs = ", ".join(f"`{scope}`" for scope in scopes) or "any token"
            rows.append(f"| `{method.upper()}` | `{route}` | {needs} | {first} |")
    (out / "operations.md").write_text("\n".join(rows) + "\n")


_write_api_reference()

project = "Forge Suite"
author = "Forge Suite developers"
copyright = "2026, Forge Suite developers"

extensions = [
    "myst_parser",
    "sphinx.ext.autodoc",
    "sphinx.ext.viewcode",
]
myst_enable_extensions = ["colon_fence", "deflist", "fieldlist"]
myst_heading_anchors = 3
source_suffix = {".md": "markdown", ".rst": "restructuredtext"}
exclude_patterns = ["_build"]
autodoc_typehints = "description"
autodoc_member_order = "bysource"
html_theme = "furo"
html_title = "Forge Suite"
nitpicky = False
