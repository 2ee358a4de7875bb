"""mypy --strict and pyright (strict) accept user_program.py and report its mistakes.

Both checkers must run. Where pyright is missing or cannot start (it fetches its npm
package on first use), the test is skipped on a developer's machine and fails in CI.
"""

from __future__ import annotations

import json
import os
import runpy
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PROGRAM = Path(__file__).with_name("user_program.py")
IN_CI = os.environ.get("CI") == "true"


def test_mypy_strict_accepts_the_program_and_reports_each_mistake() -> None:
    # From the project root, so that pyproject.toml's [tool.mypy] settings apply.
    result = subprocess.run(
        [sys.executable, "-m", "mypy", "--strict", "--warn-unused-ignores", str(PROGRAM)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_pyright_accepts_the_program_and_reports_each_mistake(tmp_path: Path) -> None:
    try:
        import pyright  # noqa: F401
    except ImportError:
        _cannot_run("the pyright package is not installed")
    config = tmp_path / "pyrightconfig.json"
    config.write_text(
        json.dumps(
            {
                "extraPaths": [str(ROOT / "src")],
                "pythonVersion": "3.11",
                "typeCheckingMode": "strict",
                # Each checker reads only its own ignore comments, and reports one that
                # is not needed: so a mistake that goes unreported fails.
                "enableTypeIgnoreComments": False,
                "reportUnnecessaryTypeIgnoreComment": "error",
            }
        )
    )
    command = [sys.executable, "-m", "pyright", "--outputjson", "--pythonpath", sys.executable]
    result = subprocess.run(
        [*command, "-p", str(config), str(PROGRAM)],
        capture_output=True,
        text=True,
        check=False,
        timeout=600,
    )
    try:
        report = json.loads(result.stdout)
    except json.JSONDecodeError:
        _cannot_run(f"pyright did not run: {result.stdout[-2000:]}{result.stderr[-2000:]}")
    problems = [
        f"{item['file']}:{item['range']['start']['line'] + 1}: {item['message']}"
        for item in report["generalDiagnostics"]
    ]
    assert report["summary"]["filesAnalyzed"] == 1
    assert problems == []
    assert result.returncode == 0, result.stderr


def test_the_program_runs_on_asyncio_and_trio() -> None:
    runpy.run_path(str(PROGRAM))["run"]()


def _cannot_run(reason: str) -> None:
    if IN_CI:
        pytest.fail(f"{reason}; CI must type-check with pyright")
    pytest.skip(reason)
