"""The API reference documents exactly the public names, each under its public path.

Read from the reStructuredText sources (no build needed): the object directives of
``docs/api.rst`` and ``docs/api/*.rst`` (``autoclass``, ``autofunction``, ``py:class``...),
with the module each one is in (``.. module::`` / ``.. currentmodule::``). A name
added to ``pepperpy.caching.__all__`` fails here until it is documented; a documented
name that left ``__all__`` fails too.
"""

from __future__ import annotations

import importlib
import re
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest

import pepperpy.caching

ROOT = Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs"
API_PAGES = [DOCS / "api.rst", *sorted((DOCS / "api").glob("*.rst"))]
ALL_PAGES = sorted(DOCS.rglob("*.rst"))
PACKAGE = "pepperpy.caching"
EXTRA_PUBLIC = {"__version__"}  # public, and documented, but kept out of ``import *``

_MODULE = re.compile(r"^\.\. (?:py:)?(?:module|currentmodule):: *(?P<name>\S+)")
_OBJECT = re.compile(
    r"^\s*\.\. (?:auto(?P<auto>class|function|data|exception|attribute|method|decorator)"
    r"|py:(?P<py>class|function|data|exception|attribute|method|decorator))"
    r":: *(?P<name>[\w.]+)"
)
_ROLE = re.compile(r":(?:py:)?(?:class|func|data|exc|attr|meth|obj):`~?(?P<name>pepperpy\.[\w.]+)`")


def documented(page: Path) -> Iterator[tuple[int, str]]:
    """(line, full dotted name) of each object the page documents."""
    module = ""
    for number, line in enumerate(page.read_text(encoding="utf-8").splitlines(), start=1):
        if found := _MODULE.match(line):
            module = found["name"]
        elif found := _OBJECT.match(line):
            name = found["name"]
            yield number, name if name.startswith("pepperpy.") or not module else f"{module}.{name}"


def named(page: Path) -> Iterator[tuple[int, str]]:
    """(line, name) of every fully qualified name a page documents or refers to."""
    yield from documented(page)
    for number, line in enumerate(page.read_text(encoding="utf-8").splitlines(), start=1):
        for found in _ROLE.finditer(line):
            yield number, found["name"]


def resolve(dotted: str) -> object:
    """The object a dotted path names: the longest importable module, then attributes."""
    parts = dotted.split(".")
    for split in range(len(parts), 0, -1):
        try:
            target: object = importlib.import_module(".".join(parts[:split]))
        except ImportError:
            continue
        for attribute in parts[split:]:
            target = getattr(target, attribute)
        return target
    raise ImportError(dotted)


def public_name(dotted: str) -> str | None:
    """``"RedisCache"`` for ``"pepperpy.caching.RedisCache"``; ``None`` for longer paths."""
    head, _, tail = dotted.rpartition(".")
    return tail if head == PACKAGE else None


API_NAMES = [name for page in API_PAGES for _, name in documented(page)]
PUBLIC_OBJECTS = {id(getattr(pepperpy.caching, name)): name for name in pepperpy.caching.__all__}


def test_every_public_name_is_on_the_api_pages() -> None:
    on_pages = {public_name(name) for name in API_NAMES} - {None}
    missing = set(pepperpy.caching.__all__) - on_pages
    assert not missing, f"document these in docs/api/: {sorted(missing)}"


def test_the_api_pages_document_no_public_name_that_is_not_exported() -> None:
    on_pages = {public_name(name) for name in API_NAMES} - {None}
    stale = on_pages - set(pepperpy.caching.__all__) - EXTRA_PUBLIC
    assert not stale, f"not in pepperpy.caching.__all__: {sorted(stale)}"
    assert on_pages >= EXTRA_PUBLIC


def test_each_object_is_documented_once() -> None:
    twice = [name for name, count in Counter(API_NAMES).items() if count > 1]
    assert twice == []


@pytest.mark.parametrize("page", ALL_PAGES, ids=[str(p.relative_to(DOCS)) for p in ALL_PAGES])
def test_public_objects_are_named_by_their_public_path(page: Path) -> None:
    """No page documents or links a public object by the module that defines it."""
    wrong = []
    for line, name in named(page):
        if public_name(name) is not None or not name.startswith(PACKAGE + "."):
            continue
        try:
            target = resolve(name)
        except (ImportError, AttributeError):
            continue  # a page's own names (methods of documented objects...) and typos,
            # which the nitpicky docs build reports
        public = PUBLIC_OBJECTS.get(id(target))
        if public is not None:
            wrong.append(f"line {line}: {name} is pepperpy.caching.{public}")
    assert wrong == []


def test_the_parser_sees_modules_objects_and_references(tmp_path: Path) -> None:
    page = tmp_path / "page.rst"
    page.write_text(
        ".. module:: pepperpy.caching\n\n"
        ".. autoclass:: MemoryCache\n"
        "   :members:\n\n"
        ".. autofunction:: pepperpy.caching.core.make_policy\n\n"
        ".. currentmodule:: pepperpy.caching.core\n\n"
        ".. py:class:: CacheEngine\n\n"
        "See :class:`~pepperpy.caching.adapters.memory.MemoryCache`.\n",
        encoding="utf-8",
    )
    assert list(documented(page)) == [
        (3, "pepperpy.caching.MemoryCache"),
        (6, "pepperpy.caching.core.make_policy"),
        (10, "pepperpy.caching.core.CacheEngine"),
    ]
    assert (12, "pepperpy.caching.adapters.memory.MemoryCache") in list(named(page))
    assert resolve("pepperpy.caching.adapters.memory.MemoryCache") is pepperpy.caching.MemoryCache
