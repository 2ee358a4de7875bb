"""The core stays pure: no async runtime, no IO, no clock, no global randomness.

Two checks. A fresh interpreter imports ``pepperpy.caching.core`` and reports which
modules came with it. And every file under ``core/`` is parsed and walked: an import
of a forbidden module, a call on the process-wide generator of :mod:`random`, or a
clock read fails the test, wherever it hides (function bodies, branches, aliases).

What the interpreter check can see: ``os`` and ``time`` are loaded by every Python
at startup (``site`` needs them), so their presence in ``sys.modules`` says nothing;
the source walk is what keeps the core from using them. No standard-library module
the core imports (``heapq``, ``random``, ``dataclasses``, ``enum``, ``datetime``,
...) loads ``threading``, so that one can be checked at run time.
"""

from __future__ import annotations

import ast
import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

import pepperpy.caching.core

CORE = Path(pepperpy.caching.core.__file__).parent
SRC = CORE.parents[2]

NEVER_LOADED = ("asyncio", "trio", "anyio", "redis", "socket", "threading", "selectors")
FORBIDDEN_IMPORTS = frozenset(
    {"asyncio", "trio", "anyio", "redis", "socket", "threading", "time", "os", "logging"}
)
# Beyond the standard library, the core imports only packages that compute without IO.
COMPUTING_PACKAGES = frozenset({"numpy", "hnswlib", "hiredis"})  # hiredis: its Reader only
# What the core may take from the random module: the generator class, nothing that
# draws from (or reseeds) the process-wide instance, nor SystemRandom (os.urandom).
RANDOM_ALLOWED = frozenset({"Random"})
CLOCK_READS = frozenset(
    {
        "datetime.datetime.now",
        "datetime.datetime.utcnow",
        "datetime.datetime.today",
        "datetime.date.today",
    }
)


def test_importing_the_core_loads_no_runtime_and_no_io() -> None:
    probe = (
        "import json, sys\n"
        "import pepperpy.caching.core\n"
        f"print(json.dumps([name for name in {NEVER_LOADED!r} if name in sys.modules]))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", probe],
        env={"PYTHONPATH": str(SRC), "PYTHONNOUSERSITE": "1"},
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    assert json.loads(result.stdout) == []


def test_the_probe_sees_modules_that_are_loaded() -> None:
    """The interpreter check can fail: a module that does load is reported."""
    probe = "import json, sys, threading; print(json.dumps('threading' in sys.modules))"
    result = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, timeout=60, check=True
    )
    assert json.loads(result.stdout) is True


# -- the source walk ---------------------------------------------------------------


def violations(source: str) -> Iterator[str]:
    """Every forbidden import, global-random use or clock read in ``source``."""
    tree = ast.parse(source)
    aliases: dict[str, str] = {}  # local name -> the dotted name it stands for
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield from _forbidden_module(alias.name, node.lineno)
                local = alias.asname or alias.name.partition(".")[0]
                aliases[local] = alias.name if alias.asname else local
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            yield from _forbidden_module(node.module, node.lineno)
            for alias in node.names:
                if node.module == "random" and alias.name not in RANDOM_ALLOWED:
                    yield f"line {node.lineno}: from random import {alias.name}"
                aliases[alias.asname or alias.name] = f"{node.module}.{alias.name}"
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute):
            dotted = _dotted(node, aliases)
            if dotted is None:
                continue
            head, _, attribute = dotted.partition(".")
            if head == "random" and attribute and attribute not in RANDOM_ALLOWED:
                yield f"line {node.lineno}: {dotted} (the process-wide generator)"
            if dotted in CLOCK_READS:
                yield f"line {node.lineno}: {dotted} reads the clock"
        elif isinstance(node, ast.Call) and isinstance(node.func, ast.Name):
            if node.func.id == "__import__":
                yield f"line {node.lineno}: __import__()"
            dotted = aliases.get(node.func.id, "")
            if dotted in CLOCK_READS:
                yield f"line {node.lineno}: {dotted} reads the clock"


def _forbidden_module(name: str, line: int) -> Iterator[str]:
    if name.partition(".")[0] in FORBIDDEN_IMPORTS:
        yield f"line {line}: import of {name}"


def _dotted(node: ast.Attribute, aliases: dict[str, str]) -> str | None:
    parts = [node.attr]
    value: ast.expr = node.value
    while isinstance(value, ast.Attribute):
        parts.append(value.attr)
        value = value.value
    if not isinstance(value, ast.Name) or value.id not in aliases:
        return None
    return ".".join([aliases[value.id], *reversed(parts)])


CORE_FILES = sorted(CORE.rglob("*.py"))


def test_the_walk_covers_the_whole_core() -> None:
    names = {path.relative_to(CORE).as_posix() for path in CORE_FILES}
    assert {"engine.py", "ttl.py", "entry.py", "policies/base.py", "policies/lru.py"} <= names


@pytest.mark.parametrize("path", CORE_FILES, ids=lambda path: path.relative_to(CORE).as_posix())
def test_core_file_is_pure(path: Path) -> None:
    assert list(violations(path.read_text(encoding="utf-8"))) == []


def third_party_imports(source: str) -> set[str]:
    """The top-level packages ``source`` imports that are neither stdlib nor this library."""
    found = set()
    for node in ast.walk(ast.parse(source)):
        names: list[str] = []
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names = [node.module]
        for name in names:
            top = name.partition(".")[0]
            if top not in sys.stdlib_module_names and top != "pepperpy":
                found.add(top)
    return found


@pytest.mark.parametrize("path", CORE_FILES, ids=lambda path: path.relative_to(CORE).as_posix())
def test_core_file_imports_only_computing_packages(path: Path) -> None:
    assert third_party_imports(path.read_text(encoding="utf-8")) <= COMPUTING_PACKAGES


def test_the_package_check_can_fail() -> None:
    assert third_party_imports("import hiredis\nfrom redis.asyncio import Redis") == {
        "hiredis",
        "redis",
    }
    assert third_party_imports("import json, heapq\nfrom . import x") == set()


@pytest.mark.parametrize(
    "source",
    [
        "import asyncio",
        "import os.path",
        "import time as t",
        "from time import monotonic",
        "from logging import getLogger",
        "def f():\n    import threading",
        "if False:\n    from redis.asyncio import Redis",
        "import random\nrandom.random()",
        "import random as r\nx = r.choice([1])",
        "import random\nrandom.seed(1)",
        "import random\nrandom.SystemRandom()",
        "from random import randrange",
        "from random import choice as pick",
        "import datetime\ndatetime.datetime.now()",
        "from datetime import datetime\ndatetime.utcnow()",
        "from datetime import datetime as dt\ndt.today()",
        "from datetime import date\ndate.today()",
        "import datetime as d\nd.date.today()",
        "from datetime import datetime\nnow = datetime.now",
        "__import__('socket')",
    ],
)
def test_the_walk_catches(source: str) -> None:
    assert list(violations(source)), source


@pytest.mark.parametrize(
    "source",
    [
        "import random\nrng = random.Random(42)",
        "import random as _random\ndef f(rng: _random.Random) -> float:\n    return rng.random()",
        "from random import Random\nRandom(1).choice([1])",
        "from datetime import timedelta\ntimedelta(seconds=1).total_seconds()",
        "import heapq, math\nheapq.heappush([], (math.inf, 'k'))",
        "def get(key, now):\n    return now.today",
        "from . import time",
    ],
)
def test_the_walk_allows(source: str) -> None:
    assert list(violations(source)) == []
