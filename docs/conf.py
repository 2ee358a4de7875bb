"""Sphinx configuration: builds offline, warnings are errors (``tox -e docs``)."""

from __future__ import annotations

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
