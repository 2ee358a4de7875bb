"""Commands piped into a reader that goes away (``| head``) stop quietly."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

import pepperpy.caching
from pepperpy.caching.cli._pipes import is_broken_pipe

SRC = str(Path(pepperpy.caching.__file__).resolve().parents[2])
TRACE = str(Path(__file__).parents[1] / "data" / "cloudphysics_114k.npy")


def run_into_closed_pipe(*args: str) -> subprocess.CompletedProcess[str]:
    """Run the command with stdout a pipe whose reading end is already closed, so its
    first write fails as it does when ``head`` has exited."""
    reader, writer = os.pipe()
    os.close(reader)
    try:
        return subprocess.run(
            [sys.executable, "-m", "pepperpy.caching", *args],
            stdout=writer,
            stderr=subprocess.PIPE,
            text=True,
            env={**os.environ, "PYTHONPATH": SRC},
            timeout=120,
            check=False,
        )
    finally:
        os.close(writer)


@pytest.mark.parametrize(
    ("args", "status"),
    [
        (["demo", "--runtime", "asyncio"], 1),
        (["demo", "--runtime", "trio"], 1),
        (["simulate", TRACE, "--policies", "lru", "--sizes", "1%"], 1),
        (["--help"], 0),  # argparse itself ignores errors writing its own messages
    ],
    ids=["demo-asyncio", "demo-trio", "simulate", "help"],
)
def test_a_closed_reader_ends_the_command_without_a_traceback(args: list[str], status: int) -> None:
    done = run_into_closed_pipe(*args)
    assert done.stderr == ""
    assert done.returncode == status


def test_reading_only_the_first_lines_like_head() -> None:
    with subprocess.Popen(
        [sys.executable, "-m", "pepperpy.caching", "demo"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env={**os.environ, "PYTHONPATH": SRC},
    ) as process:
        assert process.stdout is not None
        assert process.stderr is not None
        first = process.stdout.readline()
        process.stdout.close()
        errors = process.stderr.read().decode()
        process.wait(timeout=120)
    assert first.startswith(b"pepperpy-caching ")
    assert "Traceback" not in errors
    assert "BrokenPipeError" not in errors


def test_broken_pipes_are_told_apart_from_other_errors() -> None:
    assert is_broken_pipe(BrokenPipeError())
    assert is_broken_pipe(ExceptionGroup("writes", [BrokenPipeError(), BrokenPipeError()]))
    assert not is_broken_pipe(ExceptionGroup("mixed", [BrokenPipeError(), ValueError()]))
    assert not is_broken_pipe(ConnectionResetError())
    assert not is_broken_pipe(ValueError())
