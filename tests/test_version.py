"""One version, written once: the package, the command line and the built metadata agree."""

from __future__ import annotations

import importlib
import os
import re
import subprocess
import sys
import tomllib
from email.parser import Parser
from pathlib import Path

import pytest

import pepperpy.caching
from pepperpy.caching import _version

ROOT = Path(__file__).resolve().parents[1]
SRC = str(ROOT / "src")
PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))


def test_the_package_version_is_the_one_written_in_the_version_module() -> None:
    assert pepperpy.caching.__version__ is _version.__version__
    assert re.fullmatch(r"\d+\.\d+\.\d+((a|b|rc)\d+)?(\.dev\d+)?", _version.__version__)


def test_the_command_line_prints_it() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "pepperpy.caching", "--version"],
        capture_output=True,
        text=True,
        check=True,
        env={**os.environ, "PYTHONPATH": SRC},
    )
    assert done.stdout == f"pepperpy-cache {_version.__version__}\n"


def test_pyproject_does_not_write_it_a_second_time() -> None:
    project = PYPROJECT["project"]
    assert "version" not in project
    assert "version" in project["dynamic"]


def test_the_build_backend_reads_it_from_the_version_module(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The metadata a wheel would carry, made by the backend pyproject.toml names."""
    system = PYPROJECT["build-system"]
    for path in system.get("backend-path", []):
        monkeypatch.syspath_prepend(str(ROOT / path))
    module_name, _, attribute = system["build-backend"].partition(":")
    backend = importlib.import_module(module_name)
    if attribute:
        backend = getattr(backend, attribute)
    monkeypatch.chdir(ROOT)  # PEP 517 hooks run in the project's directory
    directory = backend.prepare_metadata_for_build_wheel(str(tmp_path))
    metadata = Parser().parsestr((tmp_path / directory / "METADATA").read_text("utf-8"))
    assert metadata["Name"] == "pepperpy-caching"
    assert metadata["Version"] == _version.__version__
