"""pepperpy.caching: one async cache API over memory, Redis and vectors.

Every name below is importable from here. Names that need an optional extra (Redis,
numpy, hnswlib) are loaded on first use; without the extra they raise an ImportError
that says what to install.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ._lazy import load_lazy
from ._version import __version__ as __version__
from .core import (
    MAX_TTL,
    MISS,
    POLICY_NAMES,
    TTL,
    AdmissionPolicy,
    BackendError,
    BreakerState,
    BreakerStats,
    BytesSerializer,
    CacheEngine,
    CacheEntry,
    CacheError,
    CachePolicy,
    CacheStats,
    CapacityAwarePolicy,
    CircuitBreaker,
    ConfigurationError,
    FIFOPolicy,
    InvalidKeyError,
    InvalidTTLError,
    InvalidVectorError,
    JsonSerializer,
    LFUPolicy,
    LRUPolicy,
    NearCache,
    NearStats,
    NotAnIntegerError,
    OrderedStorePolicy,
    PickleSerializer,
    RandomPolicy,
    Removal,
    RemovalCause,
    S3FIFOPolicy,
    SerializationError,
    Serializer,
    SIEVEPolicy,
    SnapshotError,
    StringSerializer,
    TinyLFUPolicy,
    TTLTypeError,
)

if TYPE_CHECKING:
    # Loaded on first use (see _lazy.LAZY_NAMES): importing adapters/ eagerly would
    # import anyio whenever any part of the package, the pure core included, is imported.
    from .adapters import Cache, CacheBackend, Clock, MemoryCache, RemovalListener, cached
    from .adapters.distributed import DistributedCache
    from .adapters.redis import RedisCache
    from .adapters.semantic import SemanticCache, SemanticStats
    from .adapters.vector import VectorCache
    from .core.serializers.numpy_serializer import NumpySerializer
    from .core.vectors.result import SimilarityResult
    from .core.vectors.settings import IndexSettings
    from .migration import MigrationHelper

__all__ = (
    "MAX_TTL",
    "MISS",
    "POLICY_NAMES",
    "TTL",
    "AdmissionPolicy",
    "BackendError",
    "BreakerState",
    "BreakerStats",
    "BytesSerializer",
    "Cache",
    "CacheBackend",
    "CacheEngine",
    "CacheEntry",
    "CacheError",
    "CachePolicy",
    "CacheStats",
    "CapacityAwarePolicy",
    "CircuitBreaker",
    "Clock",
    "ConfigurationError",
    "DistributedCache",
    "FIFOPolicy",
    "IndexSettings",
    "InvalidKeyError",
    "InvalidTTLError",
    "InvalidVectorError",
    "JsonSerializer",
    "LFUPolicy",
    "LRUPolicy",
    "MemoryCache",
    "MigrationHelper",
    "NearCache",
    "NearStats",
    "NotAnIntegerError",
    "NumpySerializer",
    "OrderedStorePolicy",
    "PickleSerializer",
    "RandomPolicy",
    "RedisCache",
    "Removal",
    "RemovalCause",
    "RemovalListener",
    "S3FIFOPolicy",
    "SIEVEPolicy",
    "SemanticCache",
    "SemanticStats",
    "SerializationError",
    "Serializer",
    "SimilarityResult",
    "SnapshotError",
    "StringSerializer",
    "TTLTypeError",
    "TinyLFUPolicy",
    "VectorCache",
    "cached",
)


def __getattr__(name: str) -> Any:
    return load_lazy(__name__, name)
