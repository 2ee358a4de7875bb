"""Names of the public API that need an optional extra, loaded on first use."""

from __future__ import annotations

import importlib
from typing import Any

__all__ = ("load_lazy",)

# public name -> (module, the extra that brings its dependencies)
LAZY_NAMES: dict[str, tuple[str, str]] = {
    "VectorCache": (".adapters.vector", "vector"),
    "SimilarityResult": (".core.vectors.result", "vector"),
}


def load_lazy(package: str, name: str) -> Any:
    """Import ``name`` from its module, or explain which extra to install."""
    try:
        module_name, extra = LAZY_NAMES[name]
    except KeyError:
        raise AttributeError(f"module {package!r} has no attribute {name!r}") from None
    try:
        module = importlib.import_module(module_name, package)
    except ImportError as exc:
        raise ImportError(
            f"{name} needs the {extra!r} extra: pip install 'pepperpy-caching[{extra}]' ({exc})"
        ) from exc
    return getattr(module, name)
