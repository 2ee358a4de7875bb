"""The public surface: every exported name exists, extras load only on demand."""

from __future__ import annotations

import inspect
import subprocess
import sys

import pytest

import pepperpy.caching as caching
from pepperpy.caching import _lazy
from pepperpy.caching.core import COMPILED


def test_all_is_a_tuple_of_existing_names() -> None:
    assert isinstance(caching.__all__, tuple)
    assert len(set(caching.__all__)) == len(caching.__all__)
    for name in caching.__all__:
        assert getattr(caching, name) is not None, name


def test_every_lazy_name_is_exported() -> None:
    assert set(_lazy.LAZY_NAMES) <= set(caching.__all__)


@pytest.mark.skipif(
    COMPILED, reason="mypyc drops compiled classes' docstrings; the docs build on the pure build"
)
def test_public_classes_and_functions_have_docstrings() -> None:
    for name in caching.__all__:
        obj = getattr(caching, name)
        if isinstance(obj, type) or inspect.isfunction(obj):
            assert obj.__doc__, name


def test_unknown_names_raise_attribute_error() -> None:
    with pytest.raises(AttributeError, match="no attribute 'Nope'"):
        _ = caching.Nope  # type: ignore[attr-defined]


def test_importing_the_package_loads_no_optional_dependency() -> None:
    code = (
        "import sys, pepperpy.caching; "
        "print(sorted(m for m in ('redis', 'numpy', 'hnswlib', 'trio', 'hypothesis') "
        "if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_a_missing_extra_names_what_to_install(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(_lazy.LAZY_NAMES, "Imaginary", (".no_such_module", "imaginary"))
    with pytest.raises(ImportError, match=r"pip install 'pepperpy-caching\[imaginary\]'"):
        _lazy.load_lazy("pepperpy.caching", "Imaginary")
