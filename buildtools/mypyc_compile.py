"""Compile modules with mypyc: ``python mypyc_compile.py SCRATCH FILE...``.

Run by the build hook in a child process, from the project's root. The extension
modules land under ``SCRATCH/lib`` at their package paths. Types are checked only
as far as compiling needs (``mypy --strict`` is the project's own check): the
build environment has mypy and setuptools, not numpy, hiredis or anyio, whose
names are then treated as ``Any``.
"""

from __future__ import annotations

import sys
from pathlib import Path

MYPY_CONFIG = """\
[mypy]
python_version = {major}.{minor}
mypy_path = src
namespace_packages = True
explicit_package_bases = True
ignore_missing_imports = True
follow_imports = silent
"""

GROUP = "pepperpy.caching._compiled"
"""The shared library's module: every compiled module lives in it; each one's own
extension module is a small shim that loads it."""


def main(scratch: Path, sources: list[str]) -> None:
    """Generate the C code of ``sources`` and build it under ``scratch``."""
    from mypyc.build import mypycify
    from setuptools import Distribution

    config = scratch / "mypy.ini"
    config.write_text(MYPY_CONFIG.format(major=sys.version_info[0], minor=sys.version_info[1]))
    extensions = mypycify(
        ["--config-file", str(config), *sources],
        opt_level="3",
        group_name=GROUP,
        target_dir=str(scratch / "c"),
    )
    distribution = Distribution({"name": "pepperpy-caching", "ext_modules": extensions})
    build_ext = distribution.get_command_obj("build_ext")
    build_ext.build_lib = str(scratch / "lib")  # type: ignore[attr-defined]
    build_ext.build_temp = str(scratch / "temp")  # type: ignore[attr-defined]
    distribution.run_command("build_ext")


if __name__ == "__main__":
    main(Path(sys.argv[1]), sys.argv[2:])
