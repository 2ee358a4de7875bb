"""What the package index gets: an sdist with what a packager needs, wheels that install.

The sdist is built by the backend ``pyproject.toml`` names and its members listed:
sources, tests, docs, the build hook, license, README, changelog and pyproject,
nothing else (no virtual environment, CI scripts, caches or build artefacts). A
wheel built from that sdist is pure when asked, and falls back to pure when no C
compiler is there or compiling fails; asked for ``compiled`` it fails instead.
"""

from __future__ import annotations

import importlib
import os
import subprocess
import sys
import tarfile
import tomllib
import zipfile
from pathlib import Path, PurePosixPath

import pytest

from pepperpy.caching import _version

ROOT = Path(__file__).resolve().parents[1]
PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
TOP_LEVEL = {
    "src",
    "tests",
    "docs",
    "buildtools",
    "LICENSE",
    "README.md",
    "CHANGELOG.md",
    "pyproject.toml",
    "PKG-INFO",
    # hatchling's own: a wheel built from the sdist leaves out the same files
    ".gitignore",
}
NEVER = (".venv", ".ci", "__pycache__", ".hypothesis", ".mypy_cache", ".pytest_cache", "_build")
# What a build leaves in the tree: extension modules, bytecode, the fingerprint of the
# sources an editable compiled build was made from.
ARTEFACTS = {".so", ".pyd", ".pyc", ".sha256"}
BUILD_WHEEL = "import sys; from hatchling.build import build_wheel; print(build_wheel(sys.argv[1]))"


@pytest.fixture(scope="module")
def sdist(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The sdist of this checkout, built by the project's own backend."""
    module_name = PYPROJECT["build-system"]["build-backend"]
    backend = importlib.import_module(module_name)
    out = tmp_path_factory.mktemp("sdist")
    cwd = Path.cwd()
    os.chdir(ROOT)  # PEP 517 hooks run in the project's directory
    try:
        name = backend.build_sdist(str(out))
    finally:
        os.chdir(cwd)
    return out / name


@pytest.fixture(scope="module")
def members(sdist: Path) -> list[PurePosixPath]:
    """The sdist's files, relative to its top directory."""
    with tarfile.open(sdist) as archive:
        names = [PurePosixPath(member.name) for member in archive.getmembers() if member.isfile()]
    top = f"pepperpy_caching-{_version.__version__}"
    assert {name.parts[0] for name in names} == {top}
    return [name.relative_to(top) for name in names]


@pytest.fixture(scope="module")
def unpacked(sdist: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The sdist unpacked, as a downstream packager would start from it."""
    out = tmp_path_factory.mktemp("unpacked")
    with tarfile.open(sdist) as archive:
        archive.extractall(out, filter="data")
    return out / f"pepperpy_caching-{_version.__version__}"


def test_the_sdist_holds_only_what_a_packager_needs(members: list[PurePosixPath]) -> None:
    assert {member.parts[0] for member in members} == TOP_LEVEL
    for member in members:
        assert not set(member.parts) & set(NEVER), member
        assert member.suffix not in ARTEFACTS, member


def test_the_sdist_holds_every_source_test_and_doc(members: list[PurePosixPath]) -> None:
    held = set(members)
    for folder in ("src", "tests", "docs", "buildtools"):
        for path in (ROOT / folder).rglob("*"):
            relative = PurePosixPath(path.relative_to(ROOT).as_posix())
            if path.is_file() and not set(relative.parts) & set(NEVER):
                if path.suffix in ARTEFACTS:
                    continue
                assert relative in held, relative
    assert PurePosixPath("src/pepperpy/caching/py.typed") in held
    assert PurePosixPath("tests/data/cloudphysics_114k.npy") in held


def _build_wheel(source: Path, out: Path, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", BUILD_WHEEL, str(out)],
        cwd=source,
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        check=False,
    )


def _wheel_files(out: Path, done: subprocess.CompletedProcess[str]) -> list[str]:
    assert done.returncode == 0, done.stderr
    (wheel,) = out.glob("*.whl")
    assert wheel.name == f"pepperpy_caching-{_version.__version__}-py3-none-any.whl"
    with zipfile.ZipFile(wheel) as archive:
        return archive.namelist()


def test_a_pure_wheel_builds_from_the_sdist(unpacked: Path, tmp_path: Path) -> None:
    files = _wheel_files(tmp_path, _build_wheel(unpacked, tmp_path, PEPPERPY_BUILD="pure"))
    assert "pepperpy/caching/core/engine.py" in files
    assert "pepperpy/caching/py.typed" in files
    assert not [name for name in files if name.endswith((".so", ".pyd"))]


def test_without_a_c_compiler_the_build_falls_back_to_pure(unpacked: Path, tmp_path: Path) -> None:
    done = _build_wheel(unpacked, tmp_path, PEPPERPY_BUILD="auto", CC="/nonexistent/cc")
    files = _wheel_files(tmp_path, done)
    assert not [name for name in files if name.endswith((".so", ".pyd"))]
    assert "installing the pure build (no C compiler" in done.stdout + done.stderr


def test_asked_for_compiled_without_a_compiler_the_build_fails(
    unpacked: Path, tmp_path: Path
) -> None:
    done = _build_wheel(unpacked, tmp_path, PEPPERPY_BUILD="compiled", CC="/nonexistent/cc")
    assert done.returncode != 0
    assert "PEPPERPY_BUILD=compiled, but the compiled build failed: no C compiler" in done.stderr
    assert not list(tmp_path.glob("*.whl"))


@pytest.mark.slow
def test_when_compiling_fails_the_build_falls_back_to_pure(unpacked: Path, tmp_path: Path) -> None:
    # `false` is a compiler that exists and fails every compilation.
    done = _build_wheel(unpacked, tmp_path, PEPPERPY_BUILD="auto", CC="false")
    files = _wheel_files(tmp_path, done)
    assert not [name for name in files if name.endswith((".so", ".pyd"))]
    assert "installing the pure build (mypyc exited with status" in done.stdout + done.stderr


def test_an_unknown_build_is_refused(unpacked: Path, tmp_path: Path) -> None:
    done = _build_wheel(unpacked, tmp_path, PEPPERPY_BUILD="fast")
    assert done.returncode != 0
    assert "PEPPERPY_BUILD must be one of auto, pure, compiled; got 'fast'" in done.stderr
