"""pepperpy.caching: one async cache API over memory, Redis and vectors.

Every name below is importable from here. Names that need an optional extra (Redis,
numpy, hnswlib) are loaded on first use; without the extra they raise an ImportError
that says what to install.
"""

from __future__ import annotations

from typing import Any

from ._lazy import load_lazy
from .adapters import CacheBackend
from .core import (
    MISS,
    POLICY_NAMES,
    TTL,
    BackendError,
    CacheEngine,
    CacheEntry,
    CacheError,
    CachePolicy,
    CacheStats,
    ConfigurationError,
    FIFOPolicy,
    InvalidKeyError,
    InvalidTTLError,
    InvalidVectorError,
    LFUPolicy,
    LRUPolicy,
    RandomPolicy,
    Removal,
    RemovalCause,
    SerializationError,
    TTLTypeError,
)

__all__ = (
    "MISS",
    "POLICY_NAMES",
    "TTL",
    "BackendError",
    "CacheBackend",
    "CacheEngine",
    "CacheEntry",
    "CacheError",
    "CachePolicy",
    "CacheStats",
    "ConfigurationError",
    "FIFOPolicy",
    "InvalidKeyError",
    "InvalidTTLError",
    "InvalidVectorError",
    "LFUPolicy",
    "LRUPolicy",
    "RandomPolicy",
    "Removal",
    "RemovalCause",
    "SerializationError",
    "SimilarityResult",
    "TTLTypeError",
    "VectorCache",
)


def __getattr__(name: str) -> Any:
    return load_lazy(__name__, name)
