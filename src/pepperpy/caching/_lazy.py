"""Names of the public API that need an optional extra, loaded on first use, and the
one message that says which extra to install when one is missing."""

from __future__ import annotations

import importlib
from typing import Any

__all__ = ("LAZY_NAMES", "load_lazy", "missing_extra")

# public name -> (module, the extra that brings its dependencies; "" for none).
# Names from adapters/ are here even without an extra: importing them eagerly would
# import anyio whenever anything under pepperpy.caching (the pure core too) is imported.
LAZY_NAMES: dict[str, tuple[str, str]] = {
    "Cache": ("pepperpy.caching.adapters", ""),
    "CacheBackend": ("pepperpy.caching.adapters", ""),
    "Clock": ("pepperpy.caching.adapters", ""),
    "MemoryCache": ("pepperpy.caching.adapters", ""),
    "RemovalListener": ("pepperpy.caching.adapters", ""),
    "cached": ("pepperpy.caching.adapters", ""),
    "MigrationHelper": ("pepperpy.caching.migration", ""),
    "NumpySerializer": ("pepperpy.caching.core.serializers.numpy_serializer", "numpy"),
    "DistributedCache": ("pepperpy.caching.adapters.distributed", "redis"),
    "RedisCache": ("pepperpy.caching.adapters.redis", "redis"),
    "VectorCache": ("pepperpy.caching.adapters.vector", "vector"),
    "SimilarityResult": ("pepperpy.caching.core.vectors.result", "vector"),
    "IndexSettings": ("pepperpy.caching.core.vectors.settings", "vector"),
    "SemanticCache": ("pepperpy.caching.adapters.semantic", "vector"),
    "SemanticStats": ("pepperpy.caching.adapters.semantic", "vector"),
}


def missing_extra(what: str, extra: str, cause: ImportError | None = None) -> ImportError:
    """The error for ``what`` (a name, a module, a command option) needing ``extra``.

    The message names the extra and the command that installs it, then the import
    that failed; raise it ``from`` that import's error.
    """
    detail = "" if cause is None else f" ({cause})"
    return ImportError(
        f"{what} needs the {extra!r} extra: pip install 'pepperpy-caching[{extra}]'{detail}"
    )


def load_lazy(package: str, name: str) -> Any:
    """Import ``name`` from its module, or explain which extra to install."""
    try:
        module_name, extra = LAZY_NAMES[name]
    except KeyError:
        raise AttributeError(f"module {package!r} has no attribute {name!r}") from None
    try:
        module = importlib.import_module(module_name, package)
    except ImportError as exc:
        if not extra:
            raise
        raise missing_extra(name, extra, exc) from exc
    return getattr(module, name)
