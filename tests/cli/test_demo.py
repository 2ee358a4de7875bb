"""The ``demo`` command: run as users run it, and each optional section through fakes.

The subprocess runs this checkout's sources (``PYTHONPATH``), whatever is installed.
VectorCache and RedisCache sections are checked against the real classes when they
can be imported, and against small fakes of the documented API in any case.
"""

from __future__ import annotations

import io
import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pytest

import pepperpy.caching
from pepperpy.caching import BackendError, Cache, MemoryCache
from pepperpy.caching.cli import _demo_optional, demo
from pepperpy.caching.cli.__main__ import main
from pepperpy.caching.cli._report import CheckFailed, Report

SRC = Path(pepperpy.caching.__file__).resolve().parents[2]


def run_cli(*args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(SRC)}
    env.pop("NO_COLOR", None)
    return subprocess.run(
        [sys.executable, "-m", "pepperpy.caching", *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
        check=False,
    )


def importable(name: str) -> bool:
    try:
        getattr(pepperpy.caching, name)
    except (ImportError, AttributeError):
        return False
    return True


def test_help_lists_every_command() -> None:
    done = run_cli("--help")
    assert done.returncode == 0, done.stderr
    for command in ("demo", "simulate", "migrate"):
        assert re.search(rf"^\s+{command}\s+\S", done.stdout, re.MULTILINE), done.stdout


def test_demo_runs_on_both_runtimes() -> None:
    done = run_cli("demo")
    out = done.stdout
    assert done.returncode == 0, out + done.stderr
    assert "\x1b[" not in out  # not a terminal: no color codes
    for runtime in ("asyncio", "trio"):
        assert f"Running on {runtime}" in out
        assert re.search(rf"^\s+{runtime}(\s+ok){{5}}\s", out, re.MULTILINE), out
    assert len(re.findall(r"^\s+lru\s+c, a\s+b, d, e$", out, re.MULTILINE)) == 2
    assert len(re.findall(r"^\s+lfu\s+c, d\s+a, b, e$", out, re.MULTILINE)) == 2
    assert len(re.findall(r"factory calls for 50 callers\s+1$", out, re.MULTILINE)) == 2
    assert len(re.findall(r"after await users.clear\(\): sessions:1$", out, re.MULTILINE)) == 2
    if importable("VectorCache"):
        assert len(re.findall(r"^\s+vec1\s+1\.0000\s", out, re.MULTILINE)) == 2
    else:
        assert len(re.findall(r"VectorCache: similar vectors -+\n\s+unavailable: ", out)) == 2
    assert "All shown behaviour checked." in out


def test_demo_fails_when_asked_redis_cannot_be_used() -> None:
    done = run_cli("demo", "--runtime", "asyncio", "--redis", "redis://:secret@127.0.0.1:1")
    assert done.returncode == 1
    assert re.search(r"^\s+asyncio(\s+ok){5}\s+\S+\s+FAILED\s", done.stdout, re.MULTILINE)
    assert "secret" not in done.stdout + done.stderr


@pytest.mark.parametrize("runtime", ["asyncio", "trio"])
def test_a_failed_check_makes_the_exit_status_1(
    runtime: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    async def broken(report: Report) -> str:
        raise CheckFailed("this is what went wrong")

    async def fine(report: Report) -> str:
        return "ok"

    monkeypatch.setattr(demo, "sections", lambda url: [("one", fine), ("two", broken)])
    assert main(["demo", "--runtime", runtime]) == 1
    out = capsys.readouterr().out
    assert "FAILED: this is what went wrong" in out
    assert re.search(rf"^\s+{runtime}\s+ok\s+FAILED\s", out, re.MULTILINE)


def test_redact_hides_only_the_password() -> None:
    assert _demo_optional.redact("redis://u:pw@h:1/0") == "redis://u:***@h:1/0"
    assert _demo_optional.redact("rediss://:pw@h") == "rediss://:***@h"
    assert _demo_optional.redact("redis://h:6379") == "redis://h:6379"


# -- the optional sections, through fakes of the documented API -----------------------


class Result:
    def __init__(self, key: str, score: float, metadata: dict[str, Any]) -> None:
        self.key, self.score, self.metadata = key, score, metadata


class FakeVectorCache:
    """Exact cosine search over what was stored: the documented VectorCache calls."""

    def __init__(self, dim: int, similarity_threshold: float) -> None:
        self.dim, self.threshold = dim, similarity_threshold
        self.rows: dict[str, tuple[np.ndarray, dict[str, Any]]] = {}

    async def set(self, key: str, vector: np.ndarray, metadata: dict[str, Any]) -> None:
        assert vector.shape == (self.dim,)
        self.rows[key] = (vector, metadata)

    async def find_similar(self, query: np.ndarray, top_k: int) -> list[Result]:
        found = []
        for key, (vector, metadata) in self.rows.items():
            score = float(vector @ query / np.linalg.norm(vector) / np.linalg.norm(query))
            if score >= self.threshold:
                found.append(Result(key, score, metadata))
        return sorted(found, key=lambda r: -r.score)[:top_k]


class FakeRedisCache:
    """The documented RedisCache calls, kept in memory."""

    def __init__(self, url: str, namespace: str, timeout: float) -> None:
        self.view = Cache(MemoryCache(), namespace=namespace)
        self.closed = False

    def __getattr__(self, name: str) -> Any:
        return getattr(self.view, name)

    async def aclose(self) -> None:
        self.closed = True


class DownRedisCache(FakeRedisCache):
    async def set(self, key: str, value: Any, ttl: float | None = None) -> None:
        raise BackendError("Error 111 connecting. Connection refused.")


def with_class(monkeypatch: pytest.MonkeyPatch, name: str, cls: object) -> None:
    real = _demo_optional.optional_class
    monkeypatch.setattr(
        _demo_optional, "optional_class", lambda n: (cls, "") if n == name else real(n)
    )


@pytest.mark.anyio
async def test_vector_section(monkeypatch: pytest.MonkeyPatch) -> None:
    with_class(monkeypatch, "VectorCache", FakeVectorCache)
    out = io.StringIO()
    assert await _demo_optional.vector_cache(Report(out)) == "ok"
    assert re.search(r"^\s+vec1\s+1\.0000\s+\{'source': 'document1'\}$", out.getvalue(), re.M)
    assert re.search(r"^\s+vec2\s+0\.99\d\d\s", out.getvalue(), re.MULTILINE)
    assert "vec3" not in out.getvalue().split("find_similar")[1]


@pytest.mark.anyio
async def test_vector_section_says_when_unavailable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(_demo_optional, "optional_class", lambda n: (None, "no VectorCache"))
    out = io.StringIO()
    assert await _demo_optional.vector_cache(Report(out)) == "unavailable"
    assert out.getvalue().rstrip().endswith("unavailable: no VectorCache")


@pytest.mark.anyio
async def test_redis_section_round_trip(monkeypatch: pytest.MonkeyPatch) -> None:
    with_class(monkeypatch, "RedisCache", FakeRedisCache)
    out = io.StringIO()
    assert await _demo_optional.redis_cache(Report(out), "redis://u:pw@h:1") == "ok"
    text = out.getvalue()
    assert "redis://u:***@h:1" in text
    assert "pw" not in text
    assert re.search(r"get greeting\s+\{'text': 'hello'\}\s+\d+\.\d\d ms$", text, re.M)
    assert re.search(r"ttl greeting\s+(29|30)\.\d{3}\s", text)


@pytest.mark.anyio
async def test_redis_section_skips_without_a_server(monkeypatch: pytest.MonkeyPatch) -> None:
    with_class(monkeypatch, "RedisCache", DownRedisCache)
    out = io.StringIO()
    assert await _demo_optional.redis_cache(Report(out), None) == "skipped"
    assert "skipped: no Redis server answered on redis://localhost:6379/0" in out.getvalue()
    with pytest.raises(CheckFailed, match="Connection refused"):
        await _demo_optional.redis_cache(Report(io.StringIO()), "redis://h:1")


def test_report_colors_only_when_asked() -> None:
    plain, colored = io.StringIO(), io.StringIO()
    Report(plain).section("x")
    Report(colored, color=True).section("x")
    assert "\x1b[" not in plain.getvalue()
    assert "\x1b[36m-- x " in colored.getvalue()


def run_without_trio(*args: str) -> subprocess.CompletedProcess[str]:
    """The command as it runs where the ``trio`` extra is not installed."""
    code = (
        "import sys\n"
        "sys.modules['trio'] = None  # as if trio were not installed\n"
        "from pepperpy.caching.cli.__main__ import main\n"
        "sys.exit(main(sys.argv[1:]))\n"
    )
    return subprocess.run(
        [sys.executable, "-c", code, *args],
        capture_output=True,
        text=True,
        env={**os.environ, "PYTHONPATH": str(SRC), "NO_COLOR": "1"},
        timeout=60,
        check=False,
    )


def test_asking_for_trio_without_the_trio_extra_names_the_extra() -> None:
    done = run_without_trio("demo", "--runtime", "trio")
    assert done.returncode == 2
    assert done.stdout == ""
    assert done.stderr.startswith("pepperpy-cache demo: error: ")
    assert "pip install 'pepperpy-caching[trio]'" in done.stderr
    assert "Traceback" not in done.stderr


def test_both_runtimes_without_trio_run_asyncio_and_say_what_to_install() -> None:
    done = run_without_trio("demo")
    assert done.returncode == 0, done.stderr
    assert "Running on asyncio" in done.stdout
    assert "pip install 'pepperpy-caching[trio]'" in done.stdout
    assert re.search(r"^\s+trio\s+skipped", done.stdout, re.MULTILINE), done.stdout
