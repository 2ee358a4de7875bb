"""Sphinx configuration: builds offline, warnings are errors (``tox -e docs``)."""

from __future__ import annotations

import sys
from pathlib import Path

# Document this checkout's own sources, even when another checkout is installed.
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

project = "pepperpy-caching"
author = "pepperpy maintainers"
copyright = "2026, pepperpy maintainers"
extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.napoleon",
    "sphinx.ext.viewcode",
]
autodoc_member_order = "bysource"
autodoc_typehints = "description"
nitpicky = False
html_theme = "alabaster"
exclude_patterns = ["_build"]
