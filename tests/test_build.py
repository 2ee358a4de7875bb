"""The build that is loaded is the one asked for: compiled (mypyc) or pure Python.

``PEPPERPY_BUILD`` (or, unset, the build hook's ``default-build``) is what the setup
(``scripts/setup.sh``, ``.ci/run``) asked the build hook for at install time.
``compiled`` must load extension modules for every module the build hook compiles,
``pure`` none of them; with ``auto`` the flag must still tell the truth about what
is loaded.
"""

from __future__ import annotations

import importlib
import importlib.machinery
import importlib.util
from collections.abc import Callable
from pathlib import Path
from types import ModuleType

import pytest

import pepperpy.caching.core

ROOT = Path(__file__).resolve().parents[1]


def _build_settings() -> ModuleType:
    """The build hook's own reading of its settings (``buildtools/`` is no package)."""
    path = ROOT / "buildtools" / "compiled_sources.py"
    spec = importlib.util.spec_from_file_location("_compiled_sources", path)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


SETTINGS = _build_settings()
compiled_sources: Callable[[Path], list[str]] = SETTINGS.compiled_sources
REQUESTED: str = SETTINGS.requested_build(ROOT)


def _module_name(source: str) -> str:
    return source.removeprefix("src/").removesuffix(".py").replace("/", ".")


def _compiled_modules() -> list[ModuleType]:
    return [importlib.import_module(_module_name(source)) for source in compiled_sources(ROOT)]


def _is_extension(module: ModuleType) -> bool:
    return isinstance(module.__spec__.loader, importlib.machinery.ExtensionFileLoader)  # type: ignore[union-attr]


def test_the_build_hook_compiles_the_engine_and_leaves_out_what_mypyc_cannot() -> None:
    names = {_module_name(source) for source in compiled_sources(ROOT)}
    assert "pepperpy.caching.core.engine" in names
    assert "pepperpy.caching.core.policies.lru" in names
    assert "pepperpy.caching.adapters.memory_face" in names
    assert "pepperpy.caching.adapters.backend_state" in names
    # An async generator (iter_keys), methods that keep their str key arguments, and
    # a generic class (compiled, it would give every cache an instance __dict__).
    assert "pepperpy.caching.adapters.memory" not in names
    assert "pepperpy.caching.adapters.backend" not in names
    # Runtime-checkable Protocols, exceptions with two built-in bases, package bodies.
    assert "pepperpy.caching.core.policies.base" not in names
    assert "pepperpy.caching.core.errors" not in names
    assert not any(name.endswith("__init__") for name in names)


def test_compiled_says_which_build_is_loaded() -> None:
    modules = _compiled_modules()
    extensions = [module.__name__ for module in modules if _is_extension(module)]
    assert isinstance(pepperpy.caching.core.COMPILED, bool)
    if pepperpy.caching.core.COMPILED:
        assert extensions == [module.__name__ for module in modules]
    else:
        assert extensions == []


@pytest.mark.skipif(REQUESTED == "auto", reason="the build asked for is auto: either may load")
def test_the_build_asked_for_is_the_one_loaded() -> None:
    assert pepperpy.caching.core.COMPILED is (REQUESTED == "compiled")
    for module in _compiled_modules():
        assert _is_extension(module) is (REQUESTED == "compiled"), module.__name__


@pytest.mark.skipif(not (ROOT / SETTINGS.STAMP).is_file(), reason="not an editable compiled build")
def test_an_editable_compiled_build_is_not_older_than_its_sources() -> None:
    recorded = (ROOT / SETTINGS.STAMP).read_text(encoding="utf-8").strip()
    assert pepperpy.caching.core.COMPILED
    assert recorded == SETTINGS.fingerprint(ROOT), (
        "the compiled modules were built from other sources: run scripts/setup.sh to rebuild"
    )
