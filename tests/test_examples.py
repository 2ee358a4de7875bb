"""Every Python example in README.md and docs/*.rst runs, as a reader would run it.

What is collected: fenced ```` ```python ```` blocks of README.md, and
``.. code-block:: python`` blocks of docs/*.rst and the pages below it
(docs/recipes/*.rst).

What is not run: a block preceded (on the nearest non-blank line before it) by the
marker ``.. not-tested: <reason>`` in reStructuredText, which is a comment and does
not show in the built pages, or ``<!-- not-tested: <reason> -->`` in Markdown. Use
it for fragments that cannot run on their own; the reason is shown in the test's
skip message.

How a block runs: on its own, as a fresh module, in an empty working directory.

* A block that ends with ``asyncio.run(main())`` or ``trio.run(main)`` and is not
  otherwise written for one runtime (it names neither ``asyncio`` nor ``trio``
  elsewhere, nor imports from them, nor passes the runner other arguments) runs twice,
  from scratch: with ``main`` under asyncio, then under trio. Any other block runs as
  written.
* Then every ``test_*`` function it defines is called (an async one on both
  runtimes; one marked ``@pytest.mark.parametrize`` once per parameter set, as
  pytest would), and every :class:`unittest.TestCase` it defines is run, so examples
  of tests are tested too.

Examples that need more than the base install:

* ``VectorCache`` examples run when ``pepperpy.caching.VectorCache`` can be imported
  and are skipped otherwise.
* ``RedisCache`` examples run against the test suite's own Redis server, through the
  ``redis_url`` fixture below: write them against ``redis://localhost:6379`` and that
  address is replaced by the server's; ``redis+cluster://localhost:7000`` is replaced
  by a node of the suite's 3-primary cluster.
"""

from __future__ import annotations

import ast
import contextlib
import functools
import inspect
import io
import re
import secrets
import sys
import types
import unittest
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import anyio
import pytest

import pepperpy.caching

from .adapters.redis.servers import RedisServer

with contextlib.suppress(ImportError):  # without redis-py there is no cluster to start
    from .adapters.redis.conftest import redis_cluster  # noqa: F401 - a fixture, used by name

ROOT = Path(__file__).resolve().parents[1]
RUNTIMES = ("asyncio", "trio")
LOCAL_REDIS = "redis://localhost:6379"
LOCAL_CLUSTER = "redis+cluster://localhost:7000"
MODULE_NAME = "__example__"

_RST_DIRECTIVE = re.compile(r"^(?P<indent> *)\.\. code-block:: python\s*$")
_RST_MARKER = re.compile(r"^ *\.\. not-tested: *(?P<reason>\S.*)$")
_MD_FENCE = re.compile(r"^```python\s*$")
_MD_MARKER = re.compile(r"^<!-- not-tested: *(?P<reason>\S.*?) *-->$")


@dataclass(frozen=True)
class Example:
    """One code block: where it is, its source, and why it is not run (if it is not)."""

    path: Path
    line: int  # of the block's first line of code, 1-based
    source: str
    not_tested: str | None = None

    @property
    def name(self) -> str:
        return f"{self.path.relative_to(ROOT)}:{self.line}"


def _marker(lines: list[str], before: int, pattern: re.Pattern[str]) -> str | None:
    """The not-tested reason on the nearest non-blank line above ``lines[before]``."""
    for index in range(before - 1, -1, -1):
        if lines[index].strip():
            found = pattern.match(lines[index])
            return found["reason"] if found else None
    return None


def rst_examples(path: Path, text: str) -> Iterator[Example]:
    """The ``.. code-block:: python`` blocks of a reStructuredText document."""
    lines = text.splitlines()
    for index, line in enumerate(lines):
        directive = _RST_DIRECTIVE.match(line)
        if directive is None:
            continue
        indent = len(directive["indent"])
        body = index + 1
        while body < len(lines) and (
            not lines[body].strip() or lines[body].lstrip().startswith(":")
        ):
            body += 1  # blank lines and directive options (":linenos:")
        end = body
        while end < len(lines) and (
            not lines[end].strip() or len(lines[end]) - len(lines[end].lstrip()) > indent
        ):
            end += 1
        block = lines[body:end]
        width = min(len(x) - len(x.lstrip()) for x in block if x.strip())
        source = "\n".join(x[width:] for x in block).strip("\n") + "\n"
        yield Example(path, body + 1, source, _marker(lines, index, _RST_MARKER))


def markdown_examples(path: Path, text: str) -> Iterator[Example]:
    """The ```` ```python ```` blocks of a Markdown document."""
    lines = text.splitlines()
    index = 0
    while index < len(lines):
        if _MD_FENCE.match(lines[index]):
            end = lines.index("```", index + 1)
            source = "\n".join(lines[index + 1 : end]) + "\n"
            yield Example(path, index + 2, source, _marker(lines, index, _MD_MARKER))
            index = end
        index += 1


def all_examples() -> list[Example]:
    readme = ROOT / "README.md"
    found = list(markdown_examples(readme, readme.read_text(encoding="utf-8")))
    for page in sorted((ROOT / "docs").rglob("*.rst")):
        found.extend(rst_examples(page, page.read_text(encoding="utf-8")))
    return found


EXAMPLES = all_examples()


# -- what a block needs -----------------------------------------------------------------


def _importable(name: str) -> bool:
    try:
        getattr(pepperpy.caching, name)
    except (ImportError, AttributeError):
        return False
    return True


@pytest.fixture
def redis_url(redis_server: RedisServer) -> str:
    """The URL of the suite's Redis server, for examples that use RedisCache."""
    return redis_server.url


@pytest.fixture
def cluster_url(redis_cluster: list[RedisServer]) -> str:
    """A cluster URL naming one node of the suite's cluster."""
    return f"redis+cluster://127.0.0.1:{redis_cluster[0].port}"


# -- how a block runs -------------------------------------------------------------------


_RUNNERS = {("asyncio", "run"), ("trio", "run"), ("anyio", "run")}


def _runner_call(statement: ast.stmt) -> ast.Call | None:
    """The ``asyncio.run(main())``-like call that ``statement`` is, if it is one."""
    if not (isinstance(statement, ast.Expr) and isinstance(statement.value, ast.Call)):
        return None
    function = statement.value.func
    if (
        isinstance(function, ast.Attribute)
        and isinstance(function.value, ast.Name)
        and (function.value.id, function.attr) in _RUNNERS
    ):
        return statement.value
    return None


def _is_portable(tree: ast.Module, runner: ast.Call) -> bool:
    """Whether a block whose runner call was taken out is free of runtime specifics."""
    if len(runner.args) != 1 or runner.keywords:
        return False
    target = runner.args[0]
    if isinstance(target, ast.Call):  # asyncio.run(main())
        if target.args or target.keywords:
            return False
        target = target.func
    if not (isinstance(target, ast.Name) and target.id == "main"):
        return False
    for node in ast.walk(tree):
        if isinstance(node, ast.Name) and node.id in RUNTIMES:
            return False
        if isinstance(node, ast.ImportFrom) and (node.module or "").split(".")[0] in RUNTIMES:
            return False
    return True


def _execute(example: Example, code: ast.Module | str) -> types.ModuleType:
    """Run ``code`` as a fresh module named ``MODULE_NAME``; the module afterwards."""
    module = types.ModuleType(MODULE_NAME)
    sys.modules[MODULE_NAME] = module
    try:
        exec(compile(code, str(example.path), "exec"), module.__dict__)
    finally:
        del sys.modules[MODULE_NAME]
    return module


def _parameter_sets(function: Callable[..., object]) -> list[dict[str, object]]:
    """The keyword arguments of each call pytest would make for the function's
    ``@pytest.mark.parametrize`` marks (one empty set without any)."""
    sets: list[dict[str, object]] = [{}]
    for mark in getattr(function, "pytestmark", []):
        if mark.name != "parametrize":
            continue
        names, values = mark.args[0], mark.args[1]
        names = [n.strip() for n in names.split(",")] if isinstance(names, str) else list(names)
        rows = [value if len(names) > 1 else (value,) for value in values]
        sets = [{**done, **dict(zip(names, row, strict=True))} for done in sets for row in rows]
    wanted = set(inspect.signature(function).parameters)
    assert all(set(kwargs) == wanted for kwargs in sets), f"{function.__name__} takes fixtures"
    return sets


def _run_tests_defined_in(module: types.ModuleType) -> int:
    """Call the block's ``test_*`` functions and run its TestCases; how many ran."""
    ran = 0
    for name, value in vars(module).items():
        if name.startswith("test_") and inspect.isfunction(value):
            assert value.__module__ == MODULE_NAME
            for kwargs in _parameter_sets(value):
                if inspect.iscoroutinefunction(value):
                    for runtime in RUNTIMES:
                        anyio.run(functools.partial(value, **kwargs), backend=runtime)
                else:
                    value(**kwargs)
            ran += 1
        elif (
            isinstance(value, type)
            and issubclass(value, unittest.TestCase)
            and value is not unittest.TestCase
        ):
            out = io.StringIO()
            suite = unittest.defaultTestLoader.loadTestsFromTestCase(value)
            result = unittest.TextTestRunner(stream=out, verbosity=0).run(suite)
            assert result.wasSuccessful(), out.getvalue()
            ran += 1
    return ran


def run_example(example: Example, source: str) -> list[str]:
    """Run one block as described in this module's docstring; the runtimes it ran on."""
    # Blank lines in front keep the line numbers of tracebacks those of the document.
    padded = "\n" * (example.line - 1) + source
    tree = ast.parse(padded, str(example.path))
    runner = _runner_call(tree.body[-1]) if tree.body else None
    if runner is not None:
        del tree.body[-1]
        if _is_portable(tree, runner):
            for runtime in RUNTIMES:
                module = _execute(example, tree)
                anyio.run(module.main, backend=runtime)
            _run_tests_defined_in(module)
            return list(RUNTIMES)
    module = _execute(example, padded)
    _run_tests_defined_in(module)
    return []


@pytest.mark.parametrize("example", EXAMPLES, ids=[e.name for e in EXAMPLES])
def test_example(
    example: Example, request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch
) -> None:
    if example.not_tested is not None:
        pytest.skip(f"marked not-tested: {example.not_tested}")
    source = example.source
    if "VectorCache" in source and not _importable("VectorCache"):
        pytest.skip("VectorCache is not available in this checkout")
    if "RedisCache" in source and LOCAL_REDIS in source:
        source = source.replace(LOCAL_REDIS, request.getfixturevalue("redis_url"))
    if "RedisCache" in source and LOCAL_CLUSTER in source:
        source = source.replace(LOCAL_CLUSTER, request.getfixturevalue("cluster_url"))
    monkeypatch.chdir(request.getfixturevalue("tmp_path"))
    # Examples read secrets from the environment, as real deployments do.
    monkeypatch.setenv("CACHE_SECRET", secrets.token_urlsafe(32))
    run_example(example, source)


# -- the collector and the runner themselves ------------------------------------------


def test_every_document_has_its_examples_found() -> None:
    by_page = {e.path.name for e in EXAMPLES}
    assert {"README.md", "quickstart.rst", "memory.rst", "testing.rst"} <= by_page
    assert {"starlette.rst", "trio.rst", "fake-clocks.rst", "redis-cluster.rst"} <= by_page
    assert len([e for e in EXAMPLES if e.path.name == "README.md"]) == 2


RST = """\
Title
=====

.. code-block:: python
   :caption: with an option

   x = 1
   if x:

       y = 2

Text between.

.. not-tested: needs a secret

.. code-block:: python

    raise SystemExit("never run")

.. code-block:: text

    not python
"""


def test_rst_blocks_options_indentation_and_markers() -> None:
    found = list(rst_examples(Path("page.rst"), RST))
    assert [(e.line, e.source, e.not_tested) for e in found] == [
        (7, "x = 1\nif x:\n\n    y = 2\n", None),
        (18, 'raise SystemExit("never run")\n', "needs a secret"),
    ]


def test_markdown_blocks_and_markers() -> None:
    text = "# T\n\n```python\na = 1\n```\n\n<!-- not-tested: a fragment -->\n```python\nb\n```\n"
    found = list(markdown_examples(Path("README.md"), text))
    assert [(e.line, e.source, e.not_tested) for e in found] == [
        (4, "a = 1\n", None),
        (9, "b\n", "a fragment"),
    ]


def _example(source: str) -> Example:
    return Example(ROOT / "docs" / "example.rst", 1, source)


PORTABLE = """\
import asyncio

ran = []


async def main() -> None:
    import sniffio

    ran.append(sniffio.current_async_library())
    assert ran == [sniffio.current_async_library()]  # a fresh module for each runtime


asyncio.run(main())
"""


def test_portable_async_examples_run_on_both_runtimes_from_scratch() -> None:
    assert run_example(_example(PORTABLE), PORTABLE) == ["asyncio", "trio"]


@pytest.mark.parametrize(
    "source",
    [
        "import trio\n\n\nasync def main():\n    await trio.sleep(0)\n\n\ntrio.run(main)\n",
        "import asyncio\n\n\nasync def main():\n    pass\n\n\nasyncio.run(main(), debug=True)\n",
        "import trio\nfrom trio.testing import MockClock\n\n\nasync def main():\n    pass\n\n\n"
        "trio.run(main, clock=MockClock())\n",
    ],
    ids=["names-trio", "runner-arguments", "imports-from-trio"],
)
def test_runtime_specific_examples_run_as_written(source: str) -> None:
    assert run_example(_example(source), source) == []


def test_tests_defined_by_an_example_are_run() -> None:
    failing = "def test_it() -> None:\n    assert 1 == 2\n"
    with pytest.raises(AssertionError):
        run_example(_example(failing), failing)
    failing_case = (
        "import unittest\n\n\nclass T(unittest.TestCase):\n"
        "    def test_it(self) -> None:\n        self.assertEqual(1, 2)\n"
    )
    with pytest.raises(AssertionError, match="AssertionError: 1 != 2"):
        run_example(_example(failing_case), failing_case)
    source = (
        "import sniffio\n\nRAN = []\n\n\nasync def test_async() -> None:\n"
        "    RAN.append(sniffio.current_async_library())\n"
    )
    module = _execute(_example(source), source)
    assert _run_tests_defined_in(module) == 1
    assert module.RAN == ["asyncio", "trio"]


PARAMETRIZED = """\
import pytest

CALLS = []


@pytest.mark.parametrize("backend", ["asyncio", "trio"])
@pytest.mark.parametrize(("a", "b"), [(1, 2), (3, 4)])
def test_each(backend: str, a: int, b: int) -> None:
    CALLS.append((backend, a, b))
"""


def test_parametrized_example_tests_run_once_per_parameter_set() -> None:
    module = _execute(_example(PARAMETRIZED), PARAMETRIZED)
    assert _run_tests_defined_in(module) == 1
    assert sorted(module.CALLS) == [
        (backend, a, b) for backend in ("asyncio", "trio") for a, b in ((1, 2), (3, 4))
    ]
    fixture = "def test_it(tmp_path):\n    pass\n"
    with pytest.raises(AssertionError, match="test_it takes fixtures"):
        _run_tests_defined_in(_execute(_example(fixture), fixture))


def test_tracebacks_point_into_the_document() -> None:
    example = Example(ROOT / "docs" / "example.rst", 40, "x = 1\nraise ValueError(x)\n")
    with pytest.raises(ValueError, match="1") as caught:
        run_example(example, example.source)
    assert caught.traceback[-1].lineno + 1 == 41
