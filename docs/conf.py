"""Sphinx configuration: builds offline, warnings are errors (``tox -e docs``).

Every cross-reference to a ``pepperpy`` name must resolve (``nitpicky``). References to
the standard library and third-party packages cannot be checked without network access
(no intersphinx), so dotted names outside ``pepperpy`` are not reported.
"""

from __future__ import annotations

import builtins
import sys
from pathlib import Path

# Document this checkout's own sources, even when another checkout is installed.
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))
sys.path.insert(0, str(Path(__file__).resolve().parent / "_ext"))

from pepperpy.caching import __version__  # this checkout's, from the path set above

project = "pepperpy-caching"
author = "pepperpy maintainers"
copyright = "2026, pepperpy maintainers"
release = version = __version__
extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.napoleon",
    "sphinx.ext.viewcode",
    "myst_parser",  # CHANGELOG.md is Markdown, for the package index and the repository
    "lifecycle_diagram",
    "public_names",
]
autodoc_member_order = "bysource"
autodoc_typehints = "description"
nitpicky = True
nitpick_ignore_regex = [
    # Standard library and third-party names: no inventory to check them against.
    (r"py:.*", r"(?!pepperpy\.)[A-Za-z_]\w*\.[\w.]+"),
    (r"py:mod", r"(?!pepperpy\b).*"),
    # Type variables and parameter specifications of generic signatures.
    (
        r"py:(class|obj)",
        r"(typing\.)?~?(pepperpy\.caching\.[\w.]+\.)?(T|R|P|Q|S|V|D|R_co|S_contra)(\.args|\.kwargs)?",
    ),
]
nitpick_ignore = [
    (role, name)
    for name in dir(builtins)
    for role in ("py:class", "py:exc", "py:func", "py:data", "py:obj")
]
# Internal type aliases that appear in public signatures.
nitpick_ignore += [("py:class", name) for name in ("Subscriber", "GraphParams", "MetricName")]
# MemoryCache's operations beyond get and set live in a private mixin (CacheBackend
# documents them); its name shows among MemoryCache's bases.
nitpick_ignore += [("py:class", "pepperpy.caching.adapters.memory_ops.MemoryOperations")]
exclude_patterns = ["_build"]
source_suffix = {".rst": "restructuredtext"}  # Markdown only where included (the changelog)
myst_heading_anchors = 3

# furo: responsive, light and dark, and every asset it needs is in the package (no
# web fonts or scripts fetched at build or view time). Code blocks scroll sideways
# instead of being cut off on narrow screens.
html_theme = "furo"
html_title = f"{project} {release}"
html_theme_options = {
    "source_repository": "https://github.com/pepperpy/pepperpy-caching/",
    "source_branch": "main",
    "source_directory": "docs/",
}
