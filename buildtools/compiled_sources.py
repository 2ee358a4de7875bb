"""The compiled build's settings, as ``pyproject.toml`` writes them.

``python buildtools/compiled_sources.py`` prints the source files it compiles, one a
line, relative to the project's root (``scripts/setup.sh`` fingerprints them to know
when to rebuild, and an editable compiled build records their fingerprint in
``STAMP``, so a test can tell stale compiled modules); ``--build`` prints the build
asked for: ``PEPPERPY_BUILD``, or the ``default-build`` setting when that is unset.
"""

from __future__ import annotations

import hashlib
import os
import sys
import tomllib
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]


BUILDS = ("auto", "pure", "compiled")


def _hook_settings(root: Path) -> dict[str, Any]:
    with (root / "pyproject.toml").open("rb") as file:
        settings = tomllib.load(file)["tool"]["hatch"]["build"]["targets"]["wheel"]["hooks"]
    hook: dict[str, Any] = settings["custom"]
    return hook


def requested_build(root: Path = ROOT) -> str:
    """``auto``, ``pure`` or ``compiled``: ``PEPPERPY_BUILD``, else ``default-build``."""
    build = os.environ.get("PEPPERPY_BUILD", "").strip().lower()
    build = build or _hook_settings(root).get("default-build", "auto")
    if build not in BUILDS:
        raise ValueError(f"PEPPERPY_BUILD must be one of {', '.join(BUILDS)}; got {build!r}")
    return build


def compiled_sources(root: Path = ROOT) -> list[str]:
    """The ``compile`` entries of the build hook's settings, less ``compile-exclude``.

    Packages' ``__init__.py`` files stay pure: a compiled package runs its body before
    the import system gives it a ``__path__``, so it could not import a pure submodule
    (and they only re-export names).
    """
    hook = _hook_settings(root)
    excluded = {(root / path).resolve() for path in hook.get("compile-exclude", [])}
    sources: set[Path] = set()
    for entry in hook.get("compile", []):
        path = (root / entry).resolve()
        sources.update(path.rglob("*.py") if path.is_dir() else [path])
    return sorted(
        path.relative_to(root).as_posix()
        for path in sources - excluded
        if path.name != "__init__.py"
    )


STAMP = "src/pepperpy/caching/_compiled_from.sha256"
"""Where an editable compiled build records :func:`fingerprint` of what it compiled."""


def fingerprint(root: Path = ROOT) -> str:
    """A hash of the compiled sources' paths and contents."""
    digest = hashlib.sha256()
    for source in compiled_sources(root):
        digest.update(source.encode() + b"\0" + (root / source).read_bytes() + b"\0")
    return digest.hexdigest()


if __name__ == "__main__":
    if sys.argv[1:] == ["--build"]:
        sys.stdout.write(f"{requested_build()}\n")
    else:
        sys.stdout.write("".join(f"{path}\n" for path in compiled_sources()))
