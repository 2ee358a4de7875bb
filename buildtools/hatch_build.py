"""The build hook: a wheel whose core is compiled with mypyc, or the pure one.

``PEPPERPY_BUILD`` chooses (when unset, the ``default-build`` setting does):
``compiled`` (compile or fail), ``pure`` (never compile), or ``auto`` (compile where
a C compiler and the Python headers are present, and fall back to the pure build,
with a warning, when compiling fails). Which build
is loaded is told at run time by ``pepperpy.caching.core.COMPILED``.

The modules to compile are listed in ``pyproject.toml``
(``[tool.hatch.build.targets.wheel.hooks.custom]``). A standard wheel carries the
extension modules beside the sources (the sources stay: they are the reference and
what tracebacks show). An editable install puts them in the source tree, the way
``build_ext --inplace`` does, and removes those of an earlier build first, so that a
pure editable install never loads stale compiled code.
"""

from __future__ import annotations

import importlib.util
import os
import shutil
import subprocess
import sys
import sysconfig
import tempfile
from pathlib import Path
from types import ModuleType
from typing import Any

from hatchling.builders.hooks.plugin.interface import BuildHookInterface

COMPILER_REQUIREMENTS = ["mypy>=1.11", "setuptools>=69"]


def _settings_module() -> ModuleType:
    """``compiled_sources.py`` beside this file (``buildtools/`` is no package)."""
    spec = importlib.util.spec_from_file_location(
        "_pepperpy_compiled_sources", Path(__file__).with_name("compiled_sources.py")
    )
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def missing_toolchain() -> str | None:
    """Why C extensions cannot be built here, or ``None`` when they can."""
    # setuptools compiles with $CC when it is set, else with the interpreter's own compiler.
    compiler = (os.environ.get("CC") or sysconfig.get_config_var("CC") or "cc").split()
    if not compiler or shutil.which(compiler[0]) is None:
        return f"no C compiler ({' '.join(compiler) or 'cc'}) on PATH"
    headers = Path(sysconfig.get_paths()["include"]) / "Python.h"
    if not headers.is_file():
        return f"no Python headers ({headers}); install the python3-dev package"
    return None


class MypycBuildHook(BuildHookInterface):  # type: ignore[type-arg]
    """Compiles the listed modules with mypyc into the wheel, or leaves it pure."""

    PLUGIN_NAME = "custom"

    def dependencies(self) -> list[str]:
        """mypyc (part of mypy) and setuptools' build_ext, unless the build is pure."""
        pure = _settings_module().requested_build(Path(self.root)) == "pure"
        return [] if pure else list(COMPILER_REQUIREMENTS)

    def initialize(self, version: str, build_data: dict[str, Any]) -> None:
        """Compile, then hand the extension modules to the wheel or the source tree."""
        if self.target_name != "wheel":
            return
        root = Path(self.root)
        if version == "editable":
            remove_inplace_extensions(root / "src")
        mode = _settings_module().requested_build(Path(self.root))
        if mode == "pure":
            return
        reason = missing_toolchain()
        if reason is None:
            # Kept until finalize(): the wheel is written from these files.
            self._scratch = tempfile.TemporaryDirectory(prefix="pepperpy-mypyc-")
            built, reason = self._compile(Path(self._scratch.name))
            if reason is None:
                self._install(built, version, build_data)
                return
        if mode == "compiled":
            raise RuntimeError(f"PEPPERPY_BUILD=compiled, but the compiled build failed: {reason}")
        self.app.display_warning(f"pepperpy-caching: installing the pure build ({reason})")

    def finalize(self, version: str, build_data: dict[str, Any], artifact_path: str) -> None:
        """Remove the scratch directory of the compilation."""
        scratch = getattr(self, "_scratch", None)
        if scratch is not None:
            scratch.cleanup()

    def _compile(self, scratch: Path) -> tuple[dict[str, Path], str | None]:
        """Run mypyc and the C compiler in a child process, so a crash cannot stop the build."""
        worker = Path(__file__).with_name("mypyc_compile.py")
        sources = _settings_module().compiled_sources(Path(self.root))
        command = [sys.executable, str(worker), str(scratch), *sources]
        self.app.display_info("pepperpy-caching: compiling the core with mypyc")
        done = subprocess.run(command, cwd=self.root, capture_output=True, text=True, check=False)
        if done.returncode != 0:
            tail = "\n".join((done.stdout + done.stderr).strip().splitlines()[-25:])
            return {}, f"mypyc exited with status {done.returncode}:\n{tail}"
        lib = scratch / "lib"
        built = {
            path.relative_to(lib).as_posix(): path
            for path in lib.rglob("*")
            if path.is_file() and path.name.endswith(tuple(extension_suffixes()))
        }
        if not built:
            return {}, "mypyc produced no extension module"
        return built, None

    def _install(self, built: dict[str, Path], version: str, build_data: dict[str, Any]) -> None:
        if version == "editable":
            for relative, path in built.items():
                shutil.copy2(path, Path(self.root) / "src" / relative)
            settings = _settings_module()
            stamp = Path(self.root) / settings.STAMP
            stamp.write_text(settings.fingerprint(Path(self.root)) + "\n", encoding="utf-8")
            return
        for relative, path in built.items():
            build_data["force_include"][str(path)] = relative
        build_data["pure_python"] = False
        build_data["infer_tag"] = True


def extension_suffixes() -> list[str]:
    """The file endings of extension modules for this interpreter."""
    from importlib.machinery import EXTENSION_SUFFIXES

    return list(EXTENSION_SUFFIXES)


def remove_inplace_extensions(src: Path) -> None:
    """Delete what an earlier editable build left in the source tree: its extension
    modules and the fingerprint of the sources they were compiled from."""
    suffixes = tuple(extension_suffixes())
    for path in (src / "pepperpy").rglob("*"):
        if path.is_file() and path.name.endswith(suffixes):
            path.unlink()
    (src.parent / _settings_module().STAMP).unlink(missing_ok=True)
