"""Helpers for users' own test suites: reference models, workloads, strategies and a
state machine that checks a cache engine and its eviction policy against a model.

:class:`CacheModel`, the policy models and :func:`replay` need only the standard
library. :class:`CacheEngineMachine` and the strategies need hypothesis: install the
``testing`` extra (``pip install 'pepperpy-caching[testing]'``); ``dev`` includes it.
They are imported on first use, so the rest works without hypothesis.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from .models import (
    POLICY_MODELS,
    AnyKeyModel,
    CacheModel,
    FIFOModel,
    LFUModel,
    LRUModel,
    PolicyModel,
    S3FIFOModel,
    SIEVEModel,
    TinyLFUModel,
)
from .workload import CacheLike, Operation, OperationKind, replay

if TYPE_CHECKING:
    from .stateful import CacheEngineMachine
    from .strategies import (
        cache_keys,
        cache_values,
        invalid_ttls,
        mistyped_ttls,
        operations,
        out_of_range_ttls,
        ttls,
    )

__all__ = (
    "POLICY_MODELS",
    "AnyKeyModel",
    "CacheEngineMachine",
    "CacheLike",
    "CacheModel",
    "FIFOModel",
    "LFUModel",
    "LRUModel",
    "Operation",
    "OperationKind",
    "PolicyModel",
    "S3FIFOModel",
    "SIEVEModel",
    "TinyLFUModel",
    "cache_keys",
    "cache_values",
    "invalid_ttls",
    "mistyped_ttls",
    "operations",
    "out_of_range_ttls",
    "replay",
    "ttls",
)

_NEEDS_HYPOTHESIS = {
    "CacheEngineMachine": ".stateful",
    "cache_keys": ".strategies",
    "cache_values": ".strategies",
    "invalid_ttls": ".strategies",
    "mistyped_ttls": ".strategies",
    "operations": ".strategies",
    "out_of_range_ttls": ".strategies",
    "ttls": ".strategies",
}


def __getattr__(name: str) -> Any:
    module_name = _NEEDS_HYPOTHESIS.get(name)
    if module_name is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    # Without hypothesis, the module raises an ImportError that names the extra.
    return getattr(importlib.import_module(module_name, __name__), name)
