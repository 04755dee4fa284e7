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
